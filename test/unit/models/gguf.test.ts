import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { exportGguf, llamaCppFrequencies, type GgufExport } from '../../../models/gguf.ts';
import { float32ToHalf, halfToFloat32 } from '../../../models/float16.ts';
import { readLlamaConfig } from '../../../models/hf-config.ts';
import { dequantizeInt4Rows } from '../../../models/int4.ts';
import { ModelWeights } from '../../../models/model-weights.ts';
import { ropeFrequencies } from '../../../models/rope.ts';
import { Checkpoint } from '../../../models/safetensors.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';
import { loadLlamaCpp, nodeLlamaCppInstalled } from '../../../bench/node-llama-cpp.ts';
import { cosine } from '../logits.ts';

const root = mkdtempSync(join(tmpdir(), 'quire-gguf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Just enough of a GGUF v3 reader to check what the writer promised.
function readGguf(path: string) {
  const buf = readFileSync(path);
  let at = 0;
  const u32 = () => ((at += 4), buf.readUInt32LE(at - 4));
  const u64 = () => ((at += 8), Number(buf.readBigUInt64LE(at - 8)));
  const str = () => {
    const n = u64();
    at += n;
    return buf.toString('utf8', at - n, at);
  };
  const value = (type: number): unknown => {
    if (type === 4) return u32();
    if (type === 5) return ((at += 4), buf.readInt32LE(at - 4));
    if (type === 6) return ((at += 4), buf.readFloatLE(at - 4));
    if (type === 7) return buf[at++] === 1;
    if (type === 8) return str();
    if (type === 9) {
      const of = u32();
      return Array.from({ length: u64() }, () => value(of));
    }
    throw new Error(`value type ${type}`);
  };
  expect(buf.toString('latin1', 0, 4)).toBe('GGUF');
  at = 4;
  expect(u32()).toBe(3);
  const [tensorCount, kvCount] = [u64(), u64()];
  const kv = new Map<string, unknown>();
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    kv.set(key, value(u32()));
  }
  const tensors = new Map<string, { dims: number[]; type: number; offset: number }>();
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const dims = Array.from({ length: u32() }, u64);
    tensors.set(name, { dims, type: u32(), offset: u64() });
  }
  const dataStart = Math.ceil(at / 32) * 32;
  const raw = (name: string, bytes: number) => {
    const at = buf.byteOffset + dataStart + tensors.get(name)!.offset;
    return buf.buffer.slice(at, at + bytes);
  };
  const count = (name: string) => tensors.get(name)!.dims.reduce((a, b) => a * b, 1);
  // Any float or Q4_0 tensor as float32 values.
  const f32 = (name: string) => {
    const { type } = tensors.get(name)!;
    if (type === 0) return new Float32Array(raw(name, 4 * count(name)));
    if (type === 1) return halfToFloat32(new Uint16Array(raw(name, 2 * count(name))));
    expect(type).toBe(2);
    return dequantizeQ4_0(new Uint8Array(raw(name, (count(name) / 32) * 18)));
  };
  return { kv, tensors, f32, size: buf.length, dataStart };
}

// ggml's dequantize_row_q4_0, written from its definition: blocks of an fp16 d and 16 bytes, element j in the low
// nibble of byte j and element j + 16 in its high nibble, value (q − 8)·d.
function dequantizeQ4_0(blocks: Uint8Array): Float32Array {
  const out = new Float32Array((blocks.length / 18) * 32);
  const view = new DataView(blocks.buffer, blocks.byteOffset, blocks.byteLength);
  for (let b = 0; b < blocks.length / 18; b++) {
    const d = halfToFloat32(Uint16Array.of(view.getUint16(b * 18, true)))[0];
    for (let j = 0; j < 16; j++) {
      const byte = blocks[b * 18 + 2 + j];
      out[b * 32 + j] = ((byte & 15) - 8) * d;
      out[b * 32 + j + 16] = ((byte >> 4) - 8) * d;
    }
  }
  return out;
}

// Quire's int4 matrix `base` of a converted model, dequantized from its stored blocks and scales.
function quireInt4(dir: string, base: string): { values: Float32Array; rows: number; cols: number; scales: Float32Array } {
  const w = new ModelWeights(dir);
  const [rows, blocks] = w.info(`${base}.qweight`).dims;
  const cols = blocks * 32;
  const s = w.info(`${base}.scales`);
  const scaleBytes = w.read(s.name, 0, s.byteLength);
  const scales = s.type === 1 ? new Float32Array(scaleBytes.buffer) : halfToFloat32(new Uint16Array(scaleBytes.buffer));
  const values = dequantizeInt4Rows(w.read(`${base}.qweight`, 0, (rows * cols) / 2), scales, rows, cols);
  w.close();
  return { values, rows, cols, scales };
}

// A row of q or k in llama.cpp's order comes from this row of Quire's (HF's rotate-half order).
const fromRow = (row: number, headDim: number) => {
  const [head, r] = [Math.floor(row / headDim), row % headDim];
  return head * headDim + (r % 2) * (headDim / 2) + Math.floor(r / 2);
};

// A tiny int4 model and its Q4_0 export, made once for the tests that need them.
let int4: Promise<{ hf: string; onnx: string; out: GgufExport }> | undefined;
function int4Model() {
  int4 ??= (async () => {
    const hf = join(root, 'q4');
    await writeTinyCheckpoint(hf, { hiddenSize: 128, heads: 2, kvHeads: 1, layers: 2, intermediateSize: 256 });
    const onnx = join(root, 'q4-onnx');
    await convertCheckpoint(hf, onnx, { precision: 'int4' });
    return { hf, onnx, out: await exportGguf(onnx, join(root, 'q4.gguf'), { type: 'Q4_0' }) };
  })();
  return int4;
}

describe('GGUF export', () => {
  it('writes llama metadata, the tokenizer, aligned tensors and Q/K rows interleaved per head', async () => {
    const hf = join(root, 'yarn');
    await writeTinyCheckpoint(hf, { originalContext: 256, factor: 4, heads: 2, kvHeads: 1, hiddenSize: 128 });
    await convertCheckpoint(hf, join(root, 'yarn-onnx'), { precision: 'fp32' });
    const out = await exportGguf(join(root, 'yarn-onnx'), join(root, 'yarn.gguf'), { type: 'F32' });
    const g = readGguf(out.path);
    expect(g.kv.get('general.architecture')).toBe('llama');
    expect(g.kv.get('llama.rope.scaling.type')).toBe('yarn');
    expect(g.kv.get('llama.rope.scaling.original_context_length')).toBe(256);
    expect(g.kv.get('llama.context_length')).toBe(1024);
    expect(g.kv.get('tokenizer.ggml.pre')).toBe('llama-bpe');
    expect((g.kv.get('tokenizer.ggml.tokens') as string[]).length).toBe(512);
    expect(g.kv.get('tokenizer.ggml.add_bos_token')).toBe(true);
    expect(String(g.kv.get('tokenizer.chat_template'))).toContain('start_header_id');
    for (const t of g.tensors.values()) expect(t.offset % 32).toBe(0);
    expect(g.tensors.get('blk.0.attn_q.weight')!.dims).toEqual([128, 128]);

    const ckpt = new Checkpoint(hf);
    const q = ckpt.read('model.layers.1.self_attn.q_proj.weight');
    const gq = g.f32('blk.1.attn_q.weight');
    for (const [outRow, inRow] of [[0, 0], [1, 32], [2, 1], [3, 33], [64 + 5, 64 + 34]]) {
      expect(gq.subarray(outRow * 128, outRow * 128 + 128)).toEqual(q.subarray(inRow * 128, inRow * 128 + 128));
    }
    expect(g.kv.get('llama.rope.dimension_count')).toBe(64);
    ckpt.close();

    // beta_fast 4 is not llama.cpp's 32: rope_freqs carries the difference.
    const cfg = readLlamaConfig(join(hf, 'config.json'));
    const target = ropeFrequencies(cfg.rope).invFreq;
    const own = llamaCppFrequencies(cfg.rope);
    const factors = g.f32('rope_freqs.weight');
    for (let i = 0; i < factors.length; i++) expect(own[i] / factors[i]).toBeCloseTo(target[i], 6);
  });

  it('keeps norms in F32 at F16 and omits rope_freqs when llama.cpp already matches (llama3 has it, tied has no output)', async () => {
    const hf = join(root, 'llama3');
    await writeTinyCheckpoint(hf, { rope: 'llama3', tied: true });
    await convertCheckpoint(hf, join(root, 'llama3-onnx'), { precision: 'fp32' });
    const g = readGguf((await exportGguf(join(root, 'llama3-onnx'), join(root, 'llama3.gguf'), { type: 'F16' })).path);
    expect(g.tensors.get('blk.0.attn_norm.weight')!.type).toBe(0);
    expect(g.tensors.get('blk.0.ffn_up.weight')!.type).toBe(1);
    expect(g.tensors.has('output.weight')).toBe(false);
    expect(g.tensors.has('rope_freqs.weight')).toBe(true);
    expect(g.kv.has('llama.rope.scaling.type')).toBe(false);
  });

  it('writes an int4 model as Q4_0 from its own blocks: the same q values, only the scale rounded to fp16', async () => {
    const { onnx, out } = await int4Model();
    const g = readGguf(out.path);
    expect(out.bytes).toBe(g.size);
    expect(g.kv.get('general.file_type')).toBe(2);
    expect(g.tensors.get('token_embd.weight')!.type).toBe(1); // the fp16 table Quire itself looks rows up in
    expect(g.tensors.get('blk.0.attn_norm.weight')!.type).toBe(0);
    expect(g.tensors.get('blk.0.ffn_gate.weight')!.dims).toEqual([128, 256]);
    const D = 64;
    const [q, k, v] = [2 * D, D, D];
    // [GGUF tensor, Quire matrix, first row in it, rows, interleaved per head]
    const pairs: [string, string, number, number, boolean][] = [
      ['blk.1.attn_q.weight', 'model.layers.1.self_attn.qkv_proj', 0, q, true],
      ['blk.1.attn_k.weight', 'model.layers.1.self_attn.qkv_proj', q, k, true],
      ['blk.1.attn_v.weight', 'model.layers.1.self_attn.qkv_proj', q + k, v, false],
      ['blk.0.attn_output.weight', 'model.layers.0.self_attn.o_proj', 0, 128, false],
      ['blk.0.ffn_down.weight', 'model.layers.0.mlp.down_proj', 0, 128, false],
      ['output.weight', 'lm_head', 0, 512, false],
    ];
    let worst = 0;
    let sum = 0;
    let values = 0;
    for (const [name, base, first, rows, interleaved] of pairs) {
      const quire = quireInt4(onnx, base);
      const written = g.f32(name);
      expect(written.length).toBe(rows * quire.cols);
      for (let r = 0; r < rows; r++) {
        const from = first + (interleaved ? fromRow(r, D) : r);
        for (let c = 0; c < quire.cols; c++) {
          const scale = quire.scales[(from * quire.cols + c) / 32 | 0];
          const mine = quire.values[from * quire.cols + c];
          const theirs = written[r * quire.cols + c];
          // Same level (q − 8), scale rounded to fp16: (q − 8)·fp16(scale).
          expect(theirs).toBe(Math.fround(Math.round(mine / scale) * halfToFloat32(float32ToHalf(Float32Array.of(scale)))[0]));
          worst = Math.max(worst, Math.abs(theirs - mine));
          sum += Math.abs(theirs - mine);
          values++;
        }
      }
    }
    // The exporter measures the same rounding over every matrix: at most 8 levels of half an fp16 ulp of the scale.
    const rounding = out.scaleRounding!;
    expect(worst).toBeGreaterThan(0);
    expect(rounding.maxAbs).toBeGreaterThanOrEqual(worst * (1 - 1e-6));
    expect(rounding.maxRelative).toBeLessThanOrEqual(2 ** -11);
    expect(rounding.meanAbs).toBeCloseTo(sum / values, 6);
  });

  it('writes Q4_0 of an fp16-io int4 model with no rounding at all, and refuses Q4_0 of a float model', async () => {
    const { hf } = await int4Model();
    const onnx = join(root, 'q4-fp16-onnx');
    await convertCheckpoint(hf, onnx, { precision: 'int4', io: 'fp16', kv: 'fp16' });
    const out = await exportGguf(onnx, join(root, 'q4-fp16.gguf'), { type: 'Q4_0' });
    expect(out.scaleRounding!.maxAbs).toBe(0);
    const quire = quireInt4(onnx, 'model.layers.0.mlp.up_proj');
    expect(readGguf(out.path).f32('blk.0.ffn_up.weight')).toEqual(quire.values);
    await convertCheckpoint(hf, join(root, 'q4-fp32-weights'), { precision: 'fp32' });
    await expect(exportGguf(join(root, 'q4-fp32-weights'), join(root, 'never.gguf'), { type: 'Q4_0' })).rejects.toMatchObject({ code: 'UNSUPPORTED_MODEL' });
    expect(existsSync(join(root, 'never.gguf'))).toBe(false);
    // F32 of an int4 model is its dequantized blocks.
    expect(readGguf((await exportGguf(onnx, join(root, 'q4-f32.gguf'), { type: 'F32' })).path).f32('blk.0.ffn_up.weight')).toEqual(quire.values);
  });

  // llama.cpp itself, when bench/.peers holds node-llama-cpp (npm install there, see bench/node-llama-cpp.ts).
  it.skipIf(!nodeLlamaCppInstalled())('runs in llama.cpp with Quire\'s logits and greedy tokens past the YaRN original context', async () => {
    const hf = join(root, 'cross');
    await writeTinyCheckpoint(hf, { hiddenSize: 128, heads: 2, kvHeads: 1, layers: 2, intermediateSize: 256, originalContext: 256, factor: 4 });
    await convertCheckpoint(hf, join(root, 'cross-onnx'), { precision: 'fp32' });
    const prompt = Array.from({ length: 900 }, (_, i) => (i * 7919 + 3) % 500); // 3.5× the original context
    const quire = await EngineSession.load(join(root, 'cross-onnx'), { context: 1024 });
    const quireLogits = await quire.prefill(prompt);
    const quireTokens = await quire.generate({ maxNewTokens: 24, sampling: { greedy: true } });
    await quire.release();

    const llama = await loadLlamaCpp();
    for (const [dtype, tolerance] of [['F32', 1e-4], ['F16', 1e-2]] as const) {
      const model = await llama.loadModel({ modelPath: (await exportGguf(join(root, 'cross-onnx'), join(root, `cross-${dtype}.gguf`), { type: dtype })).path, gpuLayers: 0 });
      const context = await model.createContext({ contextSize: 1024, threads: 1, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
      const seq = context.getSequence();
      const [last] = (await seq.controlledEvaluate([...prompt.slice(0, -1), [prompt.at(-1)!, { generateNext: { logits: true } }]])).slice(-1);
      const logits = last!.next.logits!;
      let worst = 0;
      for (let t = 0; t < quireLogits.length; t++) worst = Math.max(worst, Math.abs(logits.get(t)! - quireLogits[t]));
      expect(worst).toBeLessThan(tolerance);
      await seq.clearHistory();
      const tokens: number[] = [];
      for await (const token of seq.evaluate(prompt, { temperature: 0 })) if (tokens.push(token) === 24) break;
      expect(tokens).toEqual(quireTokens);
      await context.dispose();
      await model.dispose();
    }
    await llama.dispose();
  });

  it.skipIf(!nodeLlamaCppInstalled())('runs an int4 model\'s Q4_0 in llama.cpp with Quire\'s last-token logits (same weights: cosine, top-1)', async () => {
    const { onnx, out } = await int4Model();
    const prompt = Array.from({ length: 120 }, (_, i) => (i * 7919 + 3) % 500);
    const quire = await EngineSession.load(onnx, { context: 128 });
    const quireLogits = await quire.prefill(prompt);
    await quire.release();
    const llama = await loadLlamaCpp();
    const model = await llama.loadModel({ modelPath: out.path, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: 128, threads: 1, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
    const [last] = (await context.getSequence().controlledEvaluate([...prompt.slice(0, -1), [prompt.at(-1)!, { generateNext: { logits: true } }]])).slice(-1);
    const theirs = Float32Array.from(quireLogits, (_, t) => last!.next.logits!.get(t)!);
    await context.dispose();
    await model.dispose();
    await llama.dispose();
    // Both quantize activations to 8 bits for the int4 products (MatMulNBits accuracy_level 4, ggml's Q8_0), each
    // its own way; other weights would give a cosine near 0.6 (docs/benchmarks.md).
    expect(cosine(quireLogits, theirs)).toBeGreaterThan(0.995);
    expect(argmax(theirs)).toBe(argmax(quireLogits));
  });
});

const argmax = (a: Float32Array) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

