// What the engine needs from a converted model folder: paths, dimensions, identity hashes for snapshots, and
// the RoPE tables for the context the user chose (YaRN parameters and context length are a load-time choice).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { QuireError } from '../../common/errors.ts';
import { float32ToHalf } from '../../../models/float16.ts';
import { readManifest } from '../../../models/manifest.ts';
import { IO_TYPE, kvFormatOf, type KvFormat, type ModelManifest } from '../../../models/model-spec.ts';
import { ropeFrequencies, ropeTables } from '../../../models/rope.ts';
import type { ModelDims } from './memory-planner.ts';
import type { KvLayout } from './kv-snapshot.ts';

export interface ModelFolder {
  dir: string;
  manifest: ModelManifest;
  modelPath: string;
  dims: ModelDims;
  layout: KvLayout;
  // The cache as the graph stores it (dtype, io dtype, quantization), for the tensors the engine allocates.
  kv: KvFormat;
  // Weights identity (source checksum, precision, io and KV dtypes, and the SHA-256 of every file as converted):
  // a snapshot from other weights is refused, a re-converted or repaired model's included.
  modelHash: string;
  ropeHash: string;
}

export function openModelFolder(dir: string): ModelFolder {
  const manifest = readManifest(dir);
  const c = manifest.config;
  const dims: ModelDims = {
    layers: c.numLayers,
    heads: c.numHeads,
    kvHeads: c.numKvHeads,
    headDim: c.headDim,
    hiddenSize: c.hiddenSize,
    intermediateSize: c.intermediateSize,
    vocabSize: c.vocabSize,
    weightBytes: manifest.bytes.data,
    ioDtype: manifest.ioDtype,
  };
  const modelHash = createHash('sha256')
    .update(JSON.stringify([manifest.source.checksum, manifest.precision, manifest.ioDtype, manifest.kvDtype, manifest.bytes, ...(manifest.kvQuant === 'webgpu' ? ['webgpu'] : []), ...(manifest.checksums ? [manifest.checksums] : [])]))
    .digest('hex');
  return {
    dir,
    manifest,
    modelPath: join(dir, manifest.files.model),
    dims,
    layout: { layers: c.numLayers, kvHeads: c.numKvHeads, headDim: c.headDim, kvDtype: manifest.kvDtype, ...(manifest.kvQuant === 'webgpu' ? { kvQuant: 'webgpu' as const } : {}) },
    kv: kvFormatOf(manifest),
    modelHash,
    ropeHash: manifest.rope.hash,
  };
}

// The same folder run with a float cache of the io dtype. A WebGPU-quantized graph declares its cache rows
// symbolic and carries no scales, so any provider runs it so: the provider check's cpu reference does.
export function floatCacheFolder(model: ModelFolder): ModelFolder {
  if (model.kv.quant !== 'webgpu') return model;
  const kvDtype = model.manifest.ioDtype;
  const { kvQuant: _quant, providers: _providers, ...manifest } = model.manifest;
  return { ...model, manifest: { ...manifest, kvDtype }, layout: { ...model.layout, kvDtype, kvQuant: undefined }, kv: { kv: kvDtype, io: kvDtype } };
}

// The graph's cos_cache/sin_cache for the context the user chose. GroupQueryAttention wants them bound at the
// full context, but a step reads only the rows of the positions it rotates: a backend binds zeroed tables of
// `dims` and writes `rows(past, n)` before each step, so load computes nothing and a 1M-token context's rows
// are computed (and resident) only as far as a document reaches (a restored cache needs none of its own).
export interface RopeInputs {
  dims: [number, number];
  // ONNX element type of the tables (the graph's io dtype).
  elementType: number;
  // cos and sin of positions from..from+count−1 in that type, [count, d/2] each.
  rows(from: number, count: number): { cos: Float32Array | Uint16Array; sin: Float32Array | Uint16Array };
}

export function ropeInputs(model: ModelFolder, context: number): RopeInputs {
  if (!Number.isInteger(context) || context < 1) throw new QuireError('INVALID_INPUT', `context must be a positive integer, got ${context}`);
  const max = model.manifest.config.maxPositionEmbeddings;
  if (context > max) throw new QuireError('DOES_NOT_FIT', `context ${context} exceeds the model's ${max} positions`);
  const freqs = ropeFrequencies(model.manifest.config.rope);
  const fp16 = model.manifest.ioDtype === 'fp16';
  return {
    dims: [context, freqs.invFreq.length],
    elementType: IO_TYPE[model.manifest.ioDtype],
    rows(from, count) {
      if (from < 0 || from + count > context) throw new QuireError('DOES_NOT_FIT', `positions ${from}..${from + count - 1} exceed the ${context}-token context`);
      const { cos, sin } = ropeTables(freqs, count, from);
      return fp16 ? { cos: float32ToHalf(cos), sin: float32ToHalf(sin) } : { cos, sin };
    },
  };
}
