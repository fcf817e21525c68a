// The Llama decoder as one ONNX graph (docs/design.md §3). Graph I/O names are a contract with the engine:
//
// inputs
//   input_ids                    int64  [batch, sequence]
//   past_key_values.{i}.key      kv     [batch, kv_heads, past_sequence, head_dim]   (i = 0 … layers−1)
//   past_key_values.{i}.value    kv     same
//   seqlens_k                    int32  [batch]      = past + sequence − 1
//   total_sequence_length        int32  []           = past + sequence
//   cos_cache, sin_cache         io     [max_positions, head_dim/2]  RoPE tables with the attention factor
//                                       folded in (rope.ts ropeTables), computed by the engine at load
//   num_logits_to_keep           int64  [1]          logits for the last N positions: 1 while prefilling and
//                                       decoding, the sequence length for all positions (scoring, tests)
// outputs
//   logits                       float32 [batch, num_logits_to_keep, vocab]
//   present.{i}.key / .value     kv     [batch, kv_heads, total_or_capacity, head_dim]
//
// Names, dtypes and storage come from model-spec.ts: io is the activation dtype (float32 or float16, its own axis,
// so int4 weights run with either), kv is float32/float16 (the io dtype), int8, or uint8 holding two int4 values per
// byte. Quantized caches use GroupQueryAttention's static per-channel scales, one float32 per kv head and channel
// for K and for V of every layer, calibrated at conversion (kv-calibration.ts) and stored as initializers
// `….k_scale` / `….v_scale` [kv_heads·head_dim]. A cache converted for WebGPU (kvQuant 'webgpu', model-spec.ts) is
// instead a float cache of the io dtype whose last dimension is the symbolic `kv_row`, with no scales and no
// quantization attributes: WebGPU quantizes it itself when the session sets kvCacheQuantizationBits (rows of
// (1 + head_dim·bits/32) u32 words then), and any provider can run the same graph with a float cache of
// head_dim rows, which is how the provider check's cpu reference runs it. Matrices keep Hugging Face's [out, in]
// layout: Gemm with transB=1 (fp32/fp16) or MatMulNBits (int4) consume it directly, so conversion never has to
// transpose a tensor and can stream it row by row.

import type { LlamaConfig } from './hf-config.ts';
import { float32ToHalf } from './float16.ts';
import { INT4_BLOCK } from './int4.ts';
import {
  GRAPH_IO,
  IO_TYPE,
  KV_STORAGE,
  kvElementType,
  kvRowElements,
  webgpuKvHeadDimProblem,
  ONNX_TYPE as DT,
  resolveConversion,
  type Conversion,
  type OnnxType as DataType,
} from './model-spec.ts';
import { type AttrValue, type ExternalData, GraphBuilder } from './onnx-writer.ts';
import type { RawChunk } from './safetensors.ts';
import { toFloat32, weightCodecs } from './weight-codecs.ts';
import { QuireError } from '../electron/common/errors.ts';

// Per layer, K and V scales [kv_heads·head_dim] (index head·head_dim + channel): dequantized = q · scale.
export type KvScales = { k: Float32Array; v: Float32Array }[];

export const OPSETS = { '': 21, 'com.microsoft': 1 };
const MS = { domain: 'com.microsoft' };
// MatMulNBits accuracy_level 4 computes with int8-quantized activations: ORT's and genai's CPU default for int4.
const INT4_ACCURACY_LEVEL = 4;
// A scale per kv head and channel: K has outlier channels that one per-tensor scale would spend the range on.
const KV_QUANT_TYPE = 'PER_CHANNEL';

export interface WeightSource {
  shape(name: string): number[];
  chunks(name: string): Iterable<RawChunk>;
}

export interface GraphOptions extends Conversion {
  // Required for int8/int4 caches.
  kvScales?: KvScales;
}

function bytesOf(data: Float32Array, type: DataType): Uint8Array {
  if (type === DT.FLOAT) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const half = float32ToHalf(data);
  return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
}

// A checkpoint chunk as float32 or half bytes, in `scratch` (grown as needed, reused chunk to chunk).
function convertChunk(chunk: RawChunk, type: DataType, scratch: { buffer: ArrayBuffer }): Uint8Array {
  const values = chunk.bytes.byteLength / (chunk.dtype === 'F32' ? 4 : 2);
  const bytes = values * (type === DT.FLOAT ? 4 : 2);
  if (scratch.buffer.byteLength < bytes) scratch.buffer = new ArrayBuffer(bytes);
  if (type === DT.FLOAT) toFloat32(chunk.bytes, chunk.dtype, new Float32Array(scratch.buffer, 0, values));
  else weightCodecs().toFloat16(chunk.bytes, chunk.dtype, new Uint16Array(scratch.buffer, 0, values));
  return new Uint8Array(scratch.buffer, 0, bytes);
}

// The cache's element type and layout, checked against the model: what the attention layers are built with.
interface KvLayout {
  type: DataType;
  // The last dimension of a cache row: head_dim (in the storage's elements), or the symbolic `kv_row` (WebGPU).
  last: number | string;
  // Static per-channel scales in the graph, and the storage's bits.
  quantized: boolean;
  bits: number;
  scales: KvScales;
}

function kvLayout(cfg: LlamaConfig, opts: GraphOptions): KvLayout {
  const { hiddenSize: H, numKvHeads: Hkv, headDim: D, intermediateSize: I } = cfg;
  const kvStorage = KV_STORAGE[opts.kv];
  const webgpuKv = opts.kvQuant === 'webgpu';
  // Static scales in the graph: a WebGPU-quantized cache has none (the provider keeps a scale in every row).
  const quantized = kvStorage.quantized && !webgpuKv;
  if (webgpuKv && kvStorage.quantized) {
    const problem = webgpuKvHeadDimProblem(opts.kv as 'int8' | 'int4', D);
    if (problem) throw new QuireError('UNSUPPORTED_MODEL', problem);
  }
  if (quantized && (opts.kvScales?.length !== cfg.numLayers || opts.kvScales.some((s) => s.k.length !== Hkv * D || s.v.length !== Hkv * D))) {
    throw new QuireError('INTERNAL', `--kv ${opts.kv} needs calibrated K and V scales [${Hkv * D}] for each of ${cfg.numLayers} layers`);
  }
  if (opts.precision === 'int4') {
    for (const k of [H, I]) if (k % INT4_BLOCK !== 0) throw new QuireError('UNSUPPORTED_MODEL', `int4 needs hidden and intermediate sizes divisible by ${INT4_BLOCK}, got ${k}`);
  }
  return {
    type: kvElementType({ kv: opts.kv, io: opts.io, ...(webgpuKv ? { quant: 'webgpu' as const } : {}) }),
    last: webgpuKv ? 'kv_row' : kvRowElements(D, opts.kv),
    quantized,
    bits: kvStorage.bits,
    scales: opts.kvScales ?? [],
  };
}

// How the graph takes its weights: each HF tensor checked against the shape the config implies and streamed into
// `data` as an initializer (dense in the io dtype, or int4 blocks for MatMulNBits), and the matrix products and
// norms made of them.
interface WeightWriter {
  expectShape(name: string, shape: number[]): void;
  dense(name: string, sources: string[], dims: number[], type: DataType): void;
  // x [T, k] · Wᵀ for W = rows of `sources` → [T, n].
  linear(x: string, name: string, sources: string[], k: number): string;
  // An RMSNorm weight [hidden], named as in the checkpoint.
  norm(name: string): string;
}

function weightWriter(g: GraphBuilder, cfg: LlamaConfig, opts: GraphOptions, weights: WeightSource, data: ExternalData, onTensor: (name: string) => void): WeightWriter {
  const io = IO_TYPE[opts.io];
  const expectShape = (name: string, shape: number[]) => {
    const got = weights.shape(name);
    if (got.join(',') !== shape.join(',')) throw new QuireError('UNSUPPORTED_MODEL', `${name} has shape [${got.join(', ')}], config implies [${shape.join(', ')}]`);
  };
  // Rows of several HF tensors, concatenated (packed QKV), converted to `type`.
  const rowsOf = (sources: string[]) => sources.reduce((sum, s) => sum + weights.shape(s)[0], 0);
  const dense = (name: string, sources: string[], dims: number[], type: DataType) => {
    const scratch = { buffer: new ArrayBuffer(0) };
    data.add(g, name, type, dims, (function* () {
      for (const s of sources) {
        for (const chunk of weights.chunks(s)) yield convertChunk(chunk, type, scratch);
        onTensor(s);
      }
    })());
  };
  const int4Initializers = (name: string, sources: string[], k: number) => {
    const n = rowsOf(sources);
    const blocks = k / INT4_BLOCK;
    // Scales are 1/8 of the fp32 weight: held until the packed weight is written, then appended.
    const scales = new Float32Array(n * blocks);
    let row = 0;
    const codecs = weightCodecs();
    let packedBuffer: Uint8Array | undefined;
    data.add(g, `${name}.qweight`, DT.UINT8, [n, blocks, INT4_BLOCK / 2], (function* () {
      for (const s of sources) {
        for (const chunk of weights.chunks(s)) {
          // Reused: data.add has written a chunk before it asks for the next.
          const bytes = (chunk.rows * k) / 2;
          if (!packedBuffer || packedBuffer.length < bytes) packedBuffer = new Uint8Array(bytes);
          const packed = packedBuffer.subarray(0, bytes);
          codecs.quantizeInt4(chunk.bytes, chunk.dtype, chunk.rows, k, packed, scales.subarray(row * blocks, (row + chunk.rows) * blocks));
          row += chunk.rows;
          yield packed;
        }
        onTensor(s);
      }
    })());
    data.add(g, `${name}.scales`, io, [n * blocks], [bytesOf(scales, io)]);
    return n;
  };
  const linear = (x: string, name: string, sources: string[], k: number): string => {
    if (opts.precision === 'int4') {
      const n = int4Initializers(name, sources, k);
      return g.node('MatMulNBits', [x, `${name}.qweight`, `${name}.scales`], 1,
        { K: k, N: n, bits: 4, block_size: INT4_BLOCK, accuracy_level: INT4_ACCURACY_LEVEL }, { ...MS, name })[0];
    }
    dense(`${name}.weight`, sources, [rowsOf(sources), k], io);
    return g.node('Gemm', [x, `${name}.weight`], 1, { transB: 1 }, { name })[0];
  };
  const norm = (name: string) => {
    expectShape(name, [cfg.hiddenSize]);
    dense(name, [name], [cfg.hiddenSize], io);
    return name;
  };
  return { expectShape, dense, linear, norm };
}

// What every decoder layer reads besides its own weights: the sequence lengths, the RoPE tables, and the shapes
// it reshapes with.
interface LayerInputs {
  seqlens: string;
  total: string;
  cos: string;
  sin: string;
  qkvShape: string;
  flatQ: string;
}

// One decoder layer: attention (packed QKV, GroupQueryAttention over the cache of layer `l`) and the SwiGLU MLP,
// each after its skip-RMSNorm. Takes and returns the running hidden state and residual.
function decoderLayer(g: GraphBuilder, cfg: LlamaConfig, w: WeightWriter, kv: KvLayout, inputs: LayerInputs, l: number, state: { hidden: string; residual: string }): { hidden: string; residual: string } {
  const { hiddenSize: H, numHeads: Hq, numKvHeads: Hkv, headDim: D, intermediateSize: I } = cfg;
  const p = `model.layers.${l}`;
  const inNorm = w.norm(`${p}.input_layernorm.weight`);
  let { hidden, residual } = state;
  if (l === 0) {
    hidden = g.node('SimplifiedLayerNormalization', [residual, inNorm], 1, { axis: -1, epsilon: { float: cfg.rmsNormEps } })[0];
  } else {
    const outs = g.node('SkipSimplifiedLayerNormalization', [hidden, residual, inNorm], 4, { epsilon: { float: cfg.rmsNormEps } }, MS);
    hidden = outs[0];
    residual = outs[3];
  }
  const attn = `${p}.self_attn`;
  w.expectShape(`${attn}.q_proj.weight`, [Hq * D, H]);
  w.expectShape(`${attn}.k_proj.weight`, [Hkv * D, H]);
  w.expectShape(`${attn}.v_proj.weight`, [Hkv * D, H]);
  const qkv = w.linear(hidden, `${attn}.qkv_proj`, [`${attn}.q_proj.weight`, `${attn}.k_proj.weight`, `${attn}.v_proj.weight`], H);
  const qkv3 = g.node('Reshape', [qkv, inputs.qkvShape], 1)[0];
  const pastK = g.input(GRAPH_IO.past(l, 'key'), kv.type, ['batch', Hkv, 'past_sequence', kv.last]);
  const pastV = g.input(GRAPH_IO.past(l, 'value'), kv.type, ['batch', Hkv, 'past_sequence', kv.last]);
  const presentK = g.output(GRAPH_IO.present(l, 'key'), kv.type, ['batch', Hkv, 'total_sequence', kv.last]);
  const presentV = g.output(GRAPH_IO.present(l, 'value'), kv.type, ['batch', Hkv, 'total_sequence', kv.last]);
  const gqaInputs = [qkv3, '', '', pastK, pastV, inputs.seqlens, inputs.total, inputs.cos, inputs.sin];
  const gqaAttrs: Record<string, AttrValue> = { num_heads: Hq, kv_num_heads: Hkv, do_rotary: 1, rotary_interleaved: 0, scale: { float: 1 / Math.sqrt(D) } };
  if (kv.quantized) {
    const { k, v } = kv.scales[l];
    // Inputs 9–11 (position_ids, attention_bias, head_sink) stay empty; 12 and 13 are k_scale, v_scale.
    gqaInputs.push('', '', '', g.constant(`${attn}.k_scale`, DT.FLOAT, [Hkv * D], Array.from(k)), g.constant(`${attn}.v_scale`, DT.FLOAT, [Hkv * D], Array.from(v)));
    Object.assign(gqaAttrs, { k_quant_type: KV_QUANT_TYPE, v_quant_type: KV_QUANT_TYPE, kv_cache_bit_width: kv.bits });
  }
  const [attnOut] = g.node('GroupQueryAttention', gqaInputs, [`${attn}/output`, presentK, presentV], gqaAttrs, { ...MS, name: `${attn}/GroupQueryAttention` });
  w.expectShape(`${attn}.o_proj.weight`, [H, Hq * D]);
  const o = w.linear(g.node('Reshape', [attnOut, inputs.flatQ], 1)[0], `${attn}.o_proj`, [`${attn}.o_proj.weight`], Hq * D);

  const postNorm = w.norm(`${p}.post_attention_layernorm.weight`);
  const outs = g.node('SkipSimplifiedLayerNormalization', [o, residual, postNorm], 4, { epsilon: { float: cfg.rmsNormEps } }, MS);
  const mlp = `${p}.mlp`;
  w.expectShape(`${mlp}.gate_proj.weight`, [I, H]);
  w.expectShape(`${mlp}.up_proj.weight`, [I, H]);
  w.expectShape(`${mlp}.down_proj.weight`, [H, I]);
  const gate = w.linear(outs[0], `${mlp}.gate_proj`, [`${mlp}.gate_proj.weight`], H);
  const up = w.linear(outs[0], `${mlp}.up_proj`, [`${mlp}.up_proj.weight`], H);
  const silu = g.node('Mul', [gate, g.node('Sigmoid', [gate], 1)[0]], 1)[0];
  return { hidden: w.linear(g.node('Mul', [silu, up], 1)[0], `${mlp}.down_proj`, [`${mlp}.down_proj.weight`], I), residual: outs[3] };
}

// Emits the graph and streams every weight into `data`. `onTensor` reports each HF tensor once it is written.
export function buildLlamaGraph(cfg: LlamaConfig, opts: GraphOptions, weights: WeightSource, data: ExternalData, onTensor: (name: string) => void = () => {}): GraphBuilder {
  const g = new GraphBuilder();
  // The spec's rules, again here so a graph is never built from an invalid triple whoever calls.
  resolveConversion(opts);
  const io = IO_TYPE[opts.io];
  const { hiddenSize: H, numHeads: Hq, headDim: D, vocabSize: V } = cfg;
  const kv = kvLayout(cfg, opts);
  const w = weightWriter(g, cfg, opts, weights, data, onTensor);

  // Graph inputs.
  const ids = g.input(GRAPH_IO.inputIds, DT.INT64, ['batch', 'sequence']);
  const seqlens = g.input(GRAPH_IO.seqlensK, DT.INT32, ['batch']);
  const total = g.input(GRAPH_IO.totalSequenceLength, DT.INT32, []);
  const cos = g.input(GRAPH_IO.cosCache, io, ['max_positions', D / 2]);
  const sin = g.input(GRAPH_IO.sinCache, io, ['max_positions', D / 2]);
  // A plain input rather than an overridable initializer: ORT warns about those on every load.
  const keep = g.input(GRAPH_IO.numLogitsToKeep, DT.INT64, [1]);

  const flatH = g.constant('shape_flat_hidden', DT.INT64, [2], [-1, H]);
  const flatQ = g.constant('shape_flat_attn', DT.INT64, [2], [-1, Hq * D]);
  const batch = g.node('Slice', [g.node('Shape', [ids], 1)[0], g.constant('zero', DT.INT64, [1], [0]), g.constant('one', DT.INT64, [1], [1])], 1)[0];
  const shape3 = (name: string, width: number) => g.node('Concat', [batch, g.constant(name, DT.INT64, [2], [-1, width])], 1, { axis: 0 })[0];

  // Embedding.
  const embedName = 'model.embed_tokens.weight';
  w.expectShape(embedName, [V, H]);
  const tiedHead = cfg.tieWordEmbeddings && opts.precision !== 'int4';
  // int4 keeps the table in fp16 (half of fp32, exact enough for a lookup) and casts the gathered rows.
  const embedType = opts.precision === 'int4' ? DT.FLOAT16 : io;
  w.dense(embedName, [embedName], [V, H], embedType);
  let x = g.node('Gather', [embedName, ids], 1, { axis: 0 })[0];
  if (embedType !== io) x = g.node('Cast', [x], 1, { to: io })[0];

  const residual = g.node('Reshape', [x, flatH], 1)[0];
  const inputs: LayerInputs = { seqlens, total, cos, sin, qkvShape: shape3('shape_qkv', (Hq + 2 * cfg.numKvHeads) * D), flatQ };
  let state = { hidden: '', residual };
  for (let l = 0; l < cfg.numLayers; l++) state = decoderLayer(g, cfg, w, kv, inputs, l, state);

  const finalNorm = w.norm('model.norm.weight');
  const normed = g.node('SkipSimplifiedLayerNormalization', [state.hidden, state.residual, finalNorm], 1, { epsilon: { float: cfg.rmsNormEps } }, MS)[0];
  // Slice the last num_logits_to_keep positions before the vocabulary projection.
  const normed3 = g.node('Reshape', [normed, shape3('shape_hidden3', H)], 1)[0];
  const kept = g.node('Slice', [normed3, g.node('Neg', [keep], 1)[0], g.constant('int64_max', DT.INT64, [1], [Number.MAX_SAFE_INTEGER]), g.constant('axis_seq', DT.INT64, [1], [1])], 1)[0];
  const keptFlat = g.node('Reshape', [kept, flatH], 1)[0];
  let logits: string;
  if (tiedHead) {
    logits = g.node('Gemm', [keptFlat, embedName], 1, { transB: 1 }, { name: 'lm_head' })[0];
  } else {
    const headSource = cfg.tieWordEmbeddings ? embedName : 'lm_head.weight';
    w.expectShape(headSource, [V, H]);
    logits = w.linear(keptFlat, 'lm_head', [headSource], H);
  }
  if (io !== DT.FLOAT) logits = g.node('Cast', [logits], 1, { to: DT.FLOAT })[0];
  g.node('Reshape', [logits, shape3('shape_logits', V)], [g.output(GRAPH_IO.logits, DT.FLOAT, ['batch', 'num_logits_to_keep', V])]);
  return g;
}
