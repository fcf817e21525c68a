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
import { cosine, readF32Safetensors, referenceLogits, type Config, type Weights } from './reference-forward.ts';

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
