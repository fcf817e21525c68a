// Static KV-cache scales for GroupQueryAttention's int8/int4 caches (docs/design.md §3: ORT quantizes K and V with a
// fixed scale per kv head and channel). The converter runs the float-cache graph over a calibration text,
// reads every layer's present K and V, and sets each channel's scale from the largest magnitude it saw.
import * as ort from 'onnxruntime-node';
import type { LlamaConfig } from './hf-config.ts';
import type { KvScales } from './llama-graph.ts';
import { GRAPH_IO, KV_STORAGE, type QuantizedKv } from './model-spec.ts';
import { ropeFrequencies, ropeTables } from './rope.ts';
import { generateEnglish } from './tokenizer/tiny.ts';
import type { Tokenizer } from './tokenizer/tokenizer.ts';

// Enough prose for every channel to reach its typical range; one prefill of this many tokens stays cheap.
export const CALIBRATION_TOKENS = 512;
// Fixed text, so a conversion is reproducible.
const CALIBRATION_SEED = 7;
// Documents reach values a short calibration text did not: scales cover this much more than the largest seen
// (values beyond it saturate).
export const KV_SCALE_HEADROOM = 1.2;
// A channel that stayed zero still needs a positive scale (the kernel divides by it).
const KV_SCALE_FLOOR = 1e-6;
export const KV_SCALE_METHOD = 'per-channel absmax (K per RoPE pair)';

export interface KvCalibration {
  scales: KvScales;
  tokens: number;
}

// Largest symmetric quantized magnitude: 127 for int8, 7 for int4.
function quantMax(kv: QuantizedKv): number {
  return 2 ** (KV_STORAGE[kv].bits - 1) - 1;
}

export function calibrationIds(tokenizer: Tokenizer, context: number): Int32Array {
  const want = Math.min(CALIBRATION_TOKENS, context);
  // At least one token per word, so this many words always tokenize to enough ids.
  const ids = tokenizer.encode(generateEnglish(want, CALIBRATION_SEED), { addBos: tokenizer.bosId !== null, parseSpecial: false });
  return Int32Array.from(ids.subarray(0, want));
}

// `present` is one layer's K or V [kv_heads, tokens, head_dim] as float32. K is stored after RoPE, which rotates
// channel d with d + head_dim/2 by a position-dependent angle: the pair's norm bounds both channels at every
// position, so K's scale is the pair's largest norm and later positions cannot exceed it.
export function channelScales(present: Float32Array, kvHeads: number, tokens: number, headDim: number, rotaryPairs: boolean, kv: QuantizedKv): Float32Array {
  const half = headDim / 2;
  const scales = new Float32Array(kvHeads * headDim);
  for (let h = 0; h < kvHeads; h++) {
    for (let t = 0; t < tokens; t++) {
      const row = (h * tokens + t) * headDim;
      for (let d = 0; d < headDim; d++) {
        const x = present[row + d];
        const partner = rotaryPairs ? present[row + ((d + half) % headDim)] : 0;
        const magnitude = Math.sqrt(x * x + partner * partner);
        if (magnitude > scales[h * headDim + d]) scales[h * headDim + d] = magnitude;
      }
    }
  }
  const qmax = quantMax(kv);
  for (let i = 0; i < scales.length; i++) scales[i] = Math.max(KV_SCALE_FLOOR, (scales[i] * KV_SCALE_HEADROOM) / qmax);
  return scales;
}

// Runs the float-cache model at `modelPath` (float32 io) once over `ids` and derives the scales.
export async function calibrateKvScales(modelPath: string, cfg: LlamaConfig, ids: Int32Array, kv: QuantizedKv): Promise<KvCalibration> {
  const { numKvHeads: Hkv, headDim: D, numLayers } = cfg;
  const n = ids.length;
  const tables = ropeTables(ropeFrequencies(cfg.rope), n);
  const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, Hkv, 0, D]);
  const feeds: Record<string, ort.Tensor> = {
    [GRAPH_IO.inputIds]: new ort.Tensor('int64', BigInt64Array.from(Array.from(ids, BigInt)), [1, n]),
    [GRAPH_IO.seqlensK]: new ort.Tensor('int32', Int32Array.of(n - 1), [1]),
    [GRAPH_IO.totalSequenceLength]: new ort.Tensor('int32', Int32Array.of(n), []),
    [GRAPH_IO.cosCache]: new ort.Tensor('float32', tables.cos, [n, tables.halfDim]),
    [GRAPH_IO.sinCache]: new ort.Tensor('float32', tables.sin, [n, tables.halfDim]),
    [GRAPH_IO.numLogitsToKeep]: new ort.Tensor('int64', BigInt64Array.of(1n), [1]),
  };
  for (let l = 0; l < numLayers; l++) {
    feeds[GRAPH_IO.past(l, 'key')] = empty();
    feeds[GRAPH_IO.past(l, 'value')] = empty();
  }
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  try {
    const out = await session.run(feeds);
    const scales: KvScales = [];
    for (let l = 0; l < numLayers; l++) {
      scales.push({
        k: channelScales(out[GRAPH_IO.present(l, 'key')].data as Float32Array, Hkv, n, D, true, kv),
        v: channelScales(out[GRAPH_IO.present(l, 'value')].data as Float32Array, Hkv, n, D, false, kv),
      });
    }
    return { scales, tokens: n };
  } finally {
    await session.release();
  }
}
