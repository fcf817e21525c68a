import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../../models/convert.ts';
import { float32ToHalf } from '../../../models/float16.ts';
import type { ModelManifest } from '../../../models/model-spec.ts';
import { readManifest } from '../../../models/manifest.ts';
import { ropeFrequencies, ropeTables } from '../../../models/rope.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';

// ---- independent float64 reference forward (own safetensors parse, RoPE, RMSNorm, attention, SwiGLU) ----

type Weights = Map<string, { shape: number[]; data: Float64Array }>;

function readF32Safetensors(path: string): Weights {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString()) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out: Weights = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = buf.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]);
    const f = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    out.set(name, { shape: t.shape, data: Float64Array.from(f) });
  }
  return out;
}

type Config = Record<string, any>;

function referenceInvFreq(c: Config): number[] {
  const d = c.head_dim as number;
  const b = c.rope_theta as number;
  const r = c.rope_scaling;
  return Array.from({ length: d / 2 }, (_, i) => {
    const f = b ** (-(2 * i) / d);
    if (r.rope_type === 'yarn') {
      const dimOf = (rot: number) => (d * Math.log(r.original_max_position_embeddings / (2 * Math.PI * rot))) / (2 * Math.log(b));
      const lo = Math.max(0, Math.floor(dimOf(r.beta_fast)));
      const hi = Math.min(d - 1, Math.ceil(dimOf(r.beta_slow)));
      const gamma = Math.min(1, Math.max(0, (i - lo) / (hi === lo ? 0.001 : hi - lo)));
      return f * (1 - gamma) + (f / r.factor) * gamma;
    }
    const wl = (2 * Math.PI) / f;
    const L = r.original_max_position_embeddings;
    if (wl < L / r.high_freq_factor) return f;
    if (wl > L / r.low_freq_factor) return f / r.factor;
    const sm = (L / wl - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
    return (1 - sm) * (f / r.factor) + sm * f;
  });
}

function referenceLogits(c: Config, w: Weights, ids: number[]): number[][] {
  const H = c.hidden_size, d = c.head_dim, nq = c.num_attention_heads, nkv = c.num_key_value_heads, V = c.vocab_size;
  const T = ids.length;
  const m = c.rope_scaling.rope_type === 'yarn' ? 0.1 * Math.log(c.rope_scaling.factor) + 1 : 1;
  const invFreq = referenceInvFreq(c);
  const W = (name: string) => w.get(name)!.data;
  const matvec = (M: Float64Array, rows: number, cols: number, x: number[]) => Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let k = 0; k < cols; k++) s += M[r * cols + k] * x[k];
    return s;
  });
  const rms = (x: number[], g: Float64Array) => {
    const inv = 1 / Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length + c.rms_norm_eps);
    return x.map((v, i) => v * inv * g[i]);
  };
  const rope = (v: number[], pos: number) => {
    const out = v.slice();
    for (let i = 0; i < d / 2; i++) {
      const cos = Math.cos(pos * invFreq[i]) * m, sin = Math.sin(pos * invFreq[i]) * m;
      out[i] = v[i] * cos - v[i + d / 2] * sin;
      out[i + d / 2] = v[i + d / 2] * cos + v[i] * sin;
    }
    return out;
  };
  let xs = ids.map((id) => Array.from(W('model.embed_tokens.weight').subarray(id * H, (id + 1) * H)));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const hs = xs.map((x) => rms(x, W(`${p}.input_layernorm.weight`)));
    const q = hs.map((h, t) => { const v = matvec(W(`${p}.self_attn.q_proj.weight`), nq * d, H, h); return Array.from({ length: nq }, (_, j) => rope(v.slice(j * d, (j + 1) * d), t)); });
    const k = hs.map((h, t) => { const v = matvec(W(`${p}.self_attn.k_proj.weight`), nkv * d, H, h); return Array.from({ length: nkv }, (_, j) => rope(v.slice(j * d, (j + 1) * d), t)); });
    const v = hs.map((h) => { const u = matvec(W(`${p}.self_attn.v_proj.weight`), nkv * d, H, h); return Array.from({ length: nkv }, (_, j) => u.slice(j * d, (j + 1) * d)); });
    xs = xs.map((x, t) => {
      const attn: number[] = [];
      for (let j = 0; j < nq; j++) {
        const kv = Math.floor(j / (nq / nkv));
        const scores = Array.from({ length: t + 1 }, (_, s) => q[t][j].reduce((a, qi, i) => a + qi * k[s][kv][i], 0) / Math.sqrt(d));
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < d; i++) attn.push(e.reduce((a, es, s) => a + (es / z) * v[s][kv][i], 0));
      }
      const o = matvec(W(`${p}.self_attn.o_proj.weight`), H, nq * d, attn);
      const r1 = x.map((xi, i) => xi + o[i]);
      const h2 = rms(r1, W(`${p}.post_attention_layernorm.weight`));
      const I = c.intermediate_size;
      const gate = matvec(W(`${p}.mlp.gate_proj.weight`), I, H, h2);
      const up = matvec(W(`${p}.mlp.up_proj.weight`), I, H, h2);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
      const down = matvec(W(`${p}.mlp.down_proj.weight`), H, I, act);
      return r1.map((ri, i) => ri + down[i]);
    });
  }
  const head = c.tie_word_embeddings ? W('model.embed_tokens.weight') : W('lm_head.weight');
  return xs.map((x) => matvec(head, V, H, rms(x, W('model.norm.weight'))));
}

// ---- running the converted model through onnxruntime-node ----

function f16Tensor(values: Float32Array, dims: number[]): ort.Tensor {
  const bits = float32ToHalf(values);
  const t = new ort.Tensor('float16', bits, dims);
  // onnxruntime-node 1.30 turns Uint16Array into a Float16Array its native side cannot read: hand it the bits.
  (t as unknown as { cpuData: Uint16Array }).cpuData = bits;
  return t;
}

async function runModel(dir: string, m: ModelManifest, chunks: number[][], keepAll: boolean): Promise<number[][]> {
  const session = await ort.InferenceSession.create(join(dir, m.files.model), { logSeverityLevel: 3 });
  const c = m.config;
  const tables = ropeTables(ropeFrequencies(c.rope), m.contextTokens);
  const table = (a: Float32Array) => (m.ioDtype === 'fp16' ? f16Tensor(a, [tables.positions, tables.halfDim]) : new ort.Tensor('float32', a, [tables.positions, tables.halfDim]));
  const emptyKv = () => (m.kvDtype === 'fp16' ? f16Tensor(new Float32Array(0), [1, c.numKvHeads, 0, c.headDim]) : new ort.Tensor('float32', new Float32Array(0), [1, c.numKvHeads, 0, c.headDim]));
  const past: Record<string, ort.Tensor> = {};
  for (let l = 0; l < c.numLayers; l++) for (const kind of ['key', 'value']) past[`past_key_values.${l}.${kind}`] = emptyKv();
  const rows: number[][] = [];
  let done = 0;
  for (const chunk of chunks) {
    const S = chunk.length;
    const keep = keepAll ? S : 1;
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(chunk.map(BigInt)), [1, S]),
      seqlens_k: new ort.Tensor('int32', Int32Array.from([done + S - 1]), [1]),
      total_sequence_length: new ort.Tensor('int32', Int32Array.from([done + S]), []),
      cos_cache: table(tables.cos),
      sin_cache: table(tables.sin),
      num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.from([BigInt(keep)]), [1]),
      ...past,
    });
    expect(out.logits.dims).toEqual([1, keep, c.vocabSize]);
    const data = out.logits.data as Float32Array;
    for (let r = 0; r < keep; r++) rows.push(Array.from(data.subarray(r * c.vocabSize, (r + 1) * c.vocabSize)));
    for (let l = 0; l < c.numLayers; l++) for (const kind of ['key', 'value']) past[`past_key_values.${l}.${kind}`] = out[`present.${l}.${kind}`];
    done += S;
  }
  await session.release();
  return rows;
}

function cosine(a: number[], b: number[]): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}

// ---- tests ----

let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'quire-convert-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

// 40 tokens: past the tiny models' original context of 32, so the scaled RoPE band is exercised.
const TOKENS = Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % 500);

describe.each([
  { rope: 'yarn' as const, tied: false, shards: 2 },
  { rope: 'llama3' as const, tied: true, shards: 1 },
])('convert tiny $rope checkpoint (tied=$tied)', ({ rope, tied, shards }) => {
  let hf: string;
  let config: Config;
  let reference: number[][];
  beforeAll(async () => {
    hf = join(root, `hf-${rope}`);
    config = await writeTinyCheckpoint(hf, { rope, tied, shards, seed: rope === 'yarn' ? 3 : 4 });
    const weights: Weights = new Map();
    const files = shards === 1 ? ['model.safetensors'] : [...new Set(Object.values(JSON.parse(readFileSync(join(hf, 'model.safetensors.index.json'), 'utf8')).weight_map as Record<string, string>))];
    for (const f of files) for (const [k, v] of readF32Safetensors(join(hf, f))) weights.set(k, v);
    reference = referenceLogits(config, weights, TOKENS);
  });

  it('fp32 logits equal the float64 reference at every position, prefilled in chunks', async () => {
    const out = join(root, `${rope}-fp32`);
    const progress: number[] = [];
    const m = await convertCheckpoint(hf, out, { precision: 'fp32', kv: 'fp32', onProgress: (p) => progress.push(p.doneBytes / p.totalBytes) });
    expect(progress.at(-1)).toBe(1);
    expect(readManifest(out)).toEqual(m);
    expect(m.demo).toBe(true);
    expect(m.label).toBe('demo: produces meaningless text');
    expect(m.files.tokenizer).toContain('tokenizer.json');
    expect(m.kvBytesPerToken).toBe(2 * config.num_hidden_layers * config.num_key_value_heads * config.head_dim * 4);
    // first prompt, a continued prompt, then two single-token decode steps
    const got = await runModel(out, m, [TOKENS.slice(0, 24), TOKENS.slice(24, 38), [TOKENS[38]], [TOKENS[39]]], true);
    expect(got.length).toBe(TOKENS.length);
    let worst = 0;
    for (let t = 0; t < TOKENS.length; t++) for (let v = 0; v < config.vocab_size; v++) worst = Math.max(worst, Math.abs(got[t][v] - reference[t][v]));
    expect(worst).toBeLessThan(2e-4);
  });

  it('last-position logits by default; fp16 and int4 stay close', async () => {
    const cosines: Record<string, number> = {};
    for (const precision of ['fp32', 'fp16', 'int4'] as const) {
      const out = join(root, `${rope}-${precision}-last`);
      const m = await convertCheckpoint(hf, out, { precision });
      const [last] = await runModel(out, m, [TOKENS], false);
      cosines[precision] = cosine(last, reference[TOKENS.length - 1]);
    }
    console.log(`[convert] ${rope} cosine vs float64 reference (last position):`, cosines);
    expect(cosines.fp32).toBeGreaterThan(0.999999);
    expect(cosines.fp16).toBeGreaterThan(0.999);
    expect(cosines.int4).toBeGreaterThan(0.95);
  });
});
