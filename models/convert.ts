import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { QuireError } from '../electron/common/errors.ts';
import { readJsonFile, parseLlamaConfig, type LlamaConfig } from './hf-config.ts';
import { calibrateKvScales, calibrationIds, KV_SCALE_HEADROOM, KV_SCALE_METHOD, type KvCalibration } from './kv-calibration.ts';
import { buildLlamaGraph, OPSETS, type GraphOptions } from './llama-graph.ts';
import { CHECKSUM_ALGORITHM, checksumOf } from './file-checksum.ts';
import { DEMO_CONFIG_KEY } from './manifest.ts';
import { recordVerified, weightsIdentity } from './weights-identity.ts';
import {
  DEMO_LABEL,
  generationDefaults,
  isQuantizedKv,
  kvBytesPerToken,
  kvDims,
  kvFormatOf,
  kvProviders,
  webgpuKvHeadDimProblem,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  ModelManifest,
  resolveConversion,
  type ConversionRequest,
  type ConversionTarget,
} from './model-spec.ts';
import { ExternalData } from './onnx-writer.ts';
import { ropeFrequencies, ropeHash } from './rope.ts';
import { Checkpoint, CONVERSION_THREADS_MIN_BYTES } from './safetensors.ts';
import { loadTokenizer } from './tokenizer/tokenizer.ts';

export const MODEL_FILE = 'model.onnx';
// Dot-folders beside a model folder: one being written, and one being replaced (orphans.ts removes them).
export const STAGING_SUFFIX = '.partial';
export const REPLACED_SUFFIX = '.old';
export const DATA_FILE = 'model.onnx.data';
// Everything a tokenizer and chat template may live in, across transformers versions.
// Scratch folder inside the output for the float-cache model that calibrates an int8/int4 cache.
const CALIBRATION_DIR = '.kv-calibration';
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'chat_template.jinja', 'chat_template.json'];

export interface ConvertProgress {
  tensor: string;
  doneBytes: number; // source bytes read so far
  totalBytes: number;
}

export interface ConvertOptions extends ConversionRequest {
  // The provider the model is converted for (decides the default activation dtype and what is valid).
  target?: ConversionTarget;
  context?: number;
  onProgress?: (p: ConvertProgress) => void;
}

// Converts a Hugging Face LlamaForCausalLM folder into a Quire model folder (model.onnx, model.onnx.data,
// quire.json, tokenizer files). Reads each tensor in row chunks, so memory stays near one layer's int4 scales
// plus the chunk size whatever the checkpoint size.
export async function convertCheckpoint(hfDir: string, outDir: string, options: ConvertOptions = {}): Promise<ModelManifest> {
  // Written beside the target and swapped in whole: an interrupted conversion (or re-conversion) never leaves a
  // folder whose quire.json describes other data; what a killed one leaves is a dot-folder cleaned at start.
  const target = resolve(outDir);
  const staging = join(dirname(target), `.${basename(target)}.${randomUUID().slice(0, 8)}${STAGING_SUFFIX}`);
  try {
    const manifest = await writeConverted(hfDir, staging, options);
    replaceFolder(staging, target);
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

// Moves `from` to `to`, replacing a folder already there; the old one is renamed aside first and removed after.
function replaceFolder(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  const old = existsSync(to) ? join(dirname(to), `.${basename(to)}.${randomUUID().slice(0, 8)}${REPLACED_SUFFIX}`) : null;
  if (old) renameSync(to, old);
  renameSync(from, to);
  if (old) rmSync(old, { recursive: true, force: true });
}

async function writeConverted(hfDir: string, outDir: string, options: ConvertOptions): Promise<ModelManifest> {
  const conversion = resolveConversion(options, options.target);
  const { precision, io, kv } = conversion;
  const raw = readJsonFile(join(hfDir, 'config.json'));
  const cfg = parseLlamaConfig(raw);
  const context = options.context ?? cfg.maxPositionEmbeddings;
  if (context < 1 || context > cfg.maxPositionEmbeddings) {
    throw new QuireError('INVALID_INPUT', `--context ${context} must be between 1 and the model's max_position_embeddings ${cfg.maxPositionEmbeddings}`);
  }
  // Every question goes through the model's own tokenizer: a checkpoint without one, or with one that cannot
  // be read, is refused before anything is written rather than failing at the first question.
  if (!existsSync(join(hfDir, 'tokenizer.json'))) throw new QuireError('INVALID_INPUT', `${hfDir} has no tokenizer.json; Quire needs the model's own tokenizer`);
  const textTokenizer = await loadTokenizer(hfDir, 'download the checkpoint again');
  // WebGPU quantizes its own cache (no calibration, no scales in the graph) and only over some head sizes.
  const webgpuKv = conversion.kvQuant === 'webgpu';
  const headDimProblem = webgpuKv && isQuantizedKv(kv) ? webgpuKvHeadDimProblem(kv, cfg.headDim) : null;
  if (headDimProblem) throw new QuireError('UNSUPPORTED_MODEL', headDimProblem);
  mkdirSync(outDir, { recursive: true });
  let calibration: KvCalibration | undefined;
  if (isQuantizedKv(kv) && !webgpuKv) {
    const ids = calibrationIds(textTokenizer, context);
    const scratch = join(outDir, CALIBRATION_DIR);
    try {
      // Calibration reads present K/V as float32: fp16 weights calibrate through an fp32 graph.
      const calibrationPrecision = precision === 'fp16' ? 'fp32' : precision;
      writeModel(hfDir, cfg, scratch, { precision: calibrationPrecision, io: 'fp32', kv: 'fp32' }, false);
      calibration = await calibrateKvScales(join(scratch, MODEL_FILE), cfg, ids, kv);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const demo = typeof raw[DEMO_CONFIG_KEY] === 'string';
  const { checkpoint, used, modelBytes, checksums } = writeModel(hfDir, cfg, outDir, { ...conversion, kvScales: calibration?.scales }, demo, options.onProgress);

  const tokenizer = TOKENIZER_FILES.filter((f) => existsSync(join(hfDir, f)));
  // Written, not copied: a copy keeps the source's mode, and the data folder's files are the user's alone (umask).
  for (const f of tokenizer) {
    const bytes = readFileSync(join(hfDir, f));
    writeFileSync(join(outDir, f), bytes);
    checksums[f] = checksumOf(bytes);
  }
  const firstTensor = checkpoint.info('model.embed_tokens.weight');
  const generationConfig = existsSync(join(hfDir, 'generation_config.json')) ? readJsonFile(join(hfDir, 'generation_config.json')) : null;
  const manifest: ModelManifest = ModelManifest.parse({
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    demo,
    ...(demo ? { label: DEMO_LABEL } : {}),
    name: basename(resolve(hfDir)),
    config: cfg,
    precision,
    ioDtype: io,
    kvDtype: kv,
    kvBytesPerToken: kvBytesPerToken(kvDims(cfg), { kv, io, ...(webgpuKv ? { quant: 'webgpu' as const } : {}) }),
    ...(isQuantizedKv(kv) ? { kvQuant: webgpuKv ? ('webgpu' as const) : ('static' as const) } : {}),
    providers: kvProviders(kvFormatOf({ kvDtype: kv, ioDtype: io, ...(webgpuKv ? { kvQuant: 'webgpu' as const } : {}) })),
    ...(calibration ? { kvScales: { method: KV_SCALE_METHOD, headroom: KV_SCALE_HEADROOM, calibrationTokens: calibration.tokens } } : {}),
    contextTokens: context,
    rope: { ...cfg.rope, attention_factor: ropeFrequencies(cfg.rope).attentionFactor, hash: ropeHash(cfg.rope) },
    promptStyle: demo ? 'bare' : 'instructions',
    generation: generationDefaults(generationConfig),
    files: { model: MODEL_FILE, data: DATA_FILE, tokenizer },
    parameters: [...used].reduce((sum, n) => sum + checkpoint.info(n).shape.reduce((a, b) => a * b, 1), 0),
    bytes: { model: modelBytes, data: statSync(join(outDir, DATA_FILE)).size },
    source: { checksum: checkpoint.sourceChecksum(), dtype: firstTensor.dtype, algorithm: CHECKSUM_ALGORITHM },
    checksums,
    checksumAlgorithm: CHECKSUM_ALGORITHM,
  } satisfies ModelManifest);
  writeFileSync(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  // The checksums were computed from the bytes written: the files as they stand are verified.
  recordVerified(outDir, weightsIdentity(outDir, Object.keys(checksums)));
  return manifest;
}

// Streams the checkpoint into `outDir`'s model.onnx and model.onnx.data.
function writeModel(hfDir: string, cfg: LlamaConfig, outDir: string, graphOptions: GraphOptions, demo: boolean, onProgress?: (p: ConvertProgress) => void) {
  const checkpoint = new Checkpoint(hfDir);
  mkdirSync(outDir, { recursive: true });
  const used = new Set<string>();
  let doneBytes = 0;
  const totalBytes = [...checkpoint.tensors.values()]
    .filter((t) => t.name.startsWith('model.') || t.name === 'lm_head.weight')
    .reduce((sum, t) => sum + t.byteLength, 0);
  // The output's hashing and writing get a thread of their own where there are cores beyond the converter's,
  // the source reader's and its hasher's: on 2 vCPUs a fourth thread only took turns with them (same CPU
  // seconds, a slower wall at load 8).
  const writeBehind = totalBytes >= CONVERSION_THREADS_MIN_BYTES && availableParallelism() >= 4;
  const data = new ExternalData(join(outDir, DATA_FILE), DATA_FILE, { thread: writeBehind });
  let graph;
  try {
    graph = buildLlamaGraph(cfg, graphOptions, { shape: (n) => checkpoint.info(n).shape, chunks: (n) => checkpoint.chunks(n) }, data, (name) => {
      if (used.has(name)) return;
      used.add(name);
      doneBytes += checkpoint.info(name).byteLength;
      onProgress?.({ tensor: name, doneBytes, totalBytes });
    });
  } finally {
    try {
      data.close();
    } finally {
      checkpoint.close();
    }
  }
  const model = graph.encode(OPSETS, { producer: 'quire', doc: demo ? DEMO_LABEL : `converted from ${hfDir}` });
  writeFileSync(join(outDir, MODEL_FILE), model);
  const checksums: Record<string, string> = { [MODEL_FILE]: checksumOf(model), [DATA_FILE]: data.checksum() };
  return { checkpoint, used, modelBytes: model.byteLength, checksums };
}
