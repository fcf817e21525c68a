// Says, before any work, whether a context of N tokens fits on a provider at each KV dtype, and why not.
// Accounting is explicit (llama.cpp style): weights + KV cache + quantization scales + prefill-chunk
// activations + logits + the RoPE tables, on the host the engine process's own runtime, and a second cache where the
// engine's path copies it out of every step (onnxruntime-node's), against the memory the provider reports free, less
// a headroom for fragmentation and the OS.

import { formatBytes } from '../../common/format.ts';
import { IO_TYPE, kvBytesPerToken, kvScaleBytes, ONNX_TYPE_BYTES, type IoDtype, type KvDtype, type KvFormat } from '../../../models/model-spec.ts';
import { rowBytes, type KvLayout } from './kv-snapshot.ts';

export interface ModelDims {
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  hiddenSize: number;
  intermediateSize: number;
  vocabSize: number;
  weightBytes: number;
  // The activations' dtype (quire.json's ioDtype): what a prefill chunk's live tensors are made of.
  ioDtype: IoDtype;
}

export interface PlanOptions {
  // Bytes the provider reports free (VRAM for GPU providers, RAM for CPU).
  availableBytes: number;
  context: number;
  // Tokens per prefill step; bounds the activation memory.
  prefillChunk: number;
  // Fraction of availableBytes kept back for the runtime's own arena, fragmentation and the OS.
  headroomFraction?: number;
  // Logits kept for every position of a chunk (inspect --all) instead of the last one only.
  allLogits?: boolean;
  // The cache lives in host memory (the cpu provider), beside the engine process's own runtime: its base counts.
  onHost?: boolean;
  // The engine's path copies the whole cache out of every step (onnxruntime-node's binding hands back a copy of
  // each output, the caches written in place included: ort-node-backend.ts), so a step ends holding two.
  cacheCopied?: boolean;
}

export const DEFAULT_HEADROOM_FRACTION = 0.1;

// Resident memory of an engine process before a model loads: Node, the engine's modules, onnxruntime's library
// and thread pool, and the model's tokenizer (the Llama-3 one here). Measured (VmHWM) on Linux x64, Node 24,
// onnxruntime 1.30, 2026-12-06 with bench/engine-memory.ts: a 2,048-token context of its long-context test model,
// read whole, peaked 156 MB above the other terms (test/unit/engine/engine-memory.test.ts holds it to 10%).
export const RUNTIME_BASE_BYTES = 150 * 2 ** 20;

export interface MemoryBreakdown {
  weights: number;
  kv: number;
  kvScales: number;
  activations: number;
  logits: number;
  // cos and sin of every position of the context (model-folder.ts ropeInputs): bound in host memory, and moved
  // to the device with each step on a GPU. Rows are written as a document reaches them, so this is a full context's.
  ropeTables: number;
  // RUNTIME_BASE_BYTES where the cache shares host memory with the engine process (onHost), else 0.
  runtime: number;
  // The cache's copy at the end of each step where the path makes one (cacheCopied), else 0.
  kvCopy: number;
  total: number;
}

export interface FitReport {
  kvDtype: KvDtype;
  context: number;
  fits: boolean;
  kvBytesPerToken: number;
  bytes: MemoryBreakdown;
  budget: number;
  // Largest context that fits at this dtype with the same chunk (0 when even the weights do not fit).
  maxContext: number;
  reason: string;
}

// Live activations of one layer during a prefill chunk of S tokens: the residual stream, its normed copy,
// packed QKV, the attention output, and the MLP's gate and up projections plus their product. Attention
// itself runs tiled (flash) so its scratch is per-tile, covered by the headroom: on the cpu too, where a
// 512-token chunk at the end of a full 1M-token context measured no more than one at the start
// (bench/engine-memory.ts; onnxruntime 1.30's fp32 GroupQueryAttention works in tiles, and an fp16 prompt runs
// Quire's tiled kernel, native/src/gqa_attention.cc, built for AVX-512 and for AVX2). Not counted: on an x86 CPU
// without AVX2, FMA and F16C (before 2013) or an Arm one, where that kernel does not run, onnxruntime's fp16 path
// holds a chunk's scores against the whole cache (4.5 GB for one 8B layer's 512-token chunk at 32K,
// bench/attention-kernel.ts).
export function activationBytes(model: ModelDims, chunk: number, elementBytes: number): number {
  const qkv = (model.heads + 2 * model.kvHeads) * model.headDim;
  const perToken = 3 * model.hiddenSize + qkv + 3 * model.intermediateSize;
  return chunk * perToken * elementBytes;
}

function breakdown(model: ModelDims, dtype: KvDtype | KvFormat, context: number, options: PlanOptions): MemoryBreakdown {
  const chunk = Math.min(options.prefillChunk, context);
  const weights = model.weightBytes;
  const kv = context * kvBytesPerToken(model, dtype);
  const kvScales = kvScaleBytes(model, dtype);
  const ioBytes = ONNX_TYPE_BYTES[IO_TYPE[model.ioDtype]];
  const activations = activationBytes(model, chunk, ioBytes);
  const logits = (options.allLogits ? chunk : 1) * model.vocabSize * 4;
  const ropeTables = context * model.headDim * ioBytes;
  const runtime = options.onHost ? RUNTIME_BASE_BYTES : 0;
  const kvCopy = options.cacheCopied ? kv : 0;
  return { weights, kv, kvScales, activations, logits, ropeTables, runtime, kvCopy, total: weights + kv + kvScales + activations + logits + ropeTables + runtime + kvCopy };
}

// A device-resident cache is saved and restored through one host buffer the size of one layer's K (or V) at
// the session's full capacity (CopyTensors moves whole tensors: native/src/quire_ort.cc KvFileWorker), held
// while the snapshot streams. Host memory, not the device's: 2 GiB for a 1M-token UltraLong-8B fp16 session.
export function snapshotStagingBytes(layout: Pick<KvLayout, 'kvHeads' | 'headDim' | 'kvDtype' | 'kvQuant'>, capacity: number): number {
  return layout.kvHeads * capacity * rowBytes(layout);
}

// `kv` is a dtype, or a model's whole cache format (a WebGPU-quantized row also holds its scale).
export function planFit(model: ModelDims, kv: KvDtype | KvFormat, options: PlanOptions): FitReport {
  const dtype = typeof kv === 'string' ? kv : kv.kv;
  const budget = Math.floor(options.availableBytes * (1 - (options.headroomFraction ?? DEFAULT_HEADROOM_FRACTION)));
  const bytes = breakdown(model, kv, options.context, options);
  const perToken = kvBytesPerToken(model, kv);
  // What grows with the context: its cache (and the cache's copy) and its RoPE rows.
  const grown = bytes.kv + bytes.kvCopy + bytes.ropeTables;
  const growing = grown / options.context;
  const fixed = bytes.total - grown;
  const maxContext = fixed >= budget ? 0 : Math.floor((budget - fixed) / growing);
  const fits = bytes.total <= budget;
  let reason: string;
  if (fits) {
    reason = `${options.context} tokens at ${dtype} need ${formatBytes(bytes.total)} of ${formatBytes(budget)}`;
  } else if (bytes.weights > budget) {
    reason = `weights alone need ${formatBytes(bytes.weights)} but only ${formatBytes(budget)} is usable`;
  } else {
    reason =
      `${options.context} tokens at ${dtype} need ${formatBytes(bytes.total)} ` +
      `(weights ${formatBytes(bytes.weights)} + KV ${formatBytes(bytes.kv)}${bytes.kvCopy ? ` + its copy ${formatBytes(bytes.kvCopy)}` : ''} + activations ${formatBytes(bytes.activations + bytes.logits)}) ` +
      `but only ${formatBytes(budget)} is usable; at most ${maxContext} tokens fit`;
  }
  return { kvDtype: dtype, context: options.context, fits, kvBytesPerToken: perToken, bytes, budget, maxContext, reason };
}
