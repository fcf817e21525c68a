import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { exportGguf, llamaCppFrequencies } from '../../../models/gguf.ts';
import { readLlamaConfig } from '../../../models/hf-config.ts';
import { ropeFrequencies } from '../../../models/rope.ts';
import { Checkpoint } from '../../../models/safetensors.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';
import { loadLlamaCpp, nodeLlamaCppInstalled } from '../../../bench/node-llama-cpp.ts';

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
  const f32 = (name: string) => {
    const t = tensors.get(name)!;
    const n = t.dims.reduce((a, b) => a * b, 1);
    return new Float32Array(buf.buffer.slice(buf.byteOffset + dataStart + t.offset, buf.byteOffset + dataStart + t.offset + 4 * n));
  };
  return { kv, tensors, f32, size: buf.length, dataStart };
}

describe('GGUF export', () => {
  it('writes llama metadata, the tokenizer, aligned tensors and Q/K rows interleaved per head', async () => {
    const hf = join(root, 'yarn');
    await writeTinyCheckpoint(hf, { originalContext: 256, factor: 4, heads: 2, kvHeads: 1, hiddenSize: 128 });
    const out = await exportGguf(hf, join(root, 'yarn.gguf'), { dtype: 'F32' });
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
    const g = readGguf((await exportGguf(hf, join(root, 'llama3.gguf'), { dtype: 'F16' })).path);
    expect(g.tensors.get('blk.0.attn_norm.weight')!.type).toBe(0);
    expect(g.tensors.get('blk.0.ffn_up.weight')!.type).toBe(1);
    expect(g.tensors.has('output.weight')).toBe(false);
    expect(g.tensors.has('rope_freqs.weight')).toBe(true);
    expect(g.kv.has('llama.rope.scaling.type')).toBe(false);
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
      const model = await llama.loadModel({ modelPath: (await exportGguf(hf, join(root, `cross-${dtype}.gguf`), { dtype })).path, gpuLayers: 0 });
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
});
