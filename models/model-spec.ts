// The one home of model facts: the axes a converted model is built on (weight precision, activation dtype,
// KV dtype), how each is stored, the graph's input and output names, quire.json's schema, which conversions
// are valid on which provider, and the rule for the answer's room. The contract, the memory planner, the
// graph builder, the calibration, both engine paths, the CLI and the UI import these; nothing restates them.
// Pure (zod and electron/common only), so the renderer can import it too.
import '../electron/common/zod-csp.ts';
import { z } from 'zod';
import { QuireError } from '../electron/common/errors.ts';

// ---- Axes --------------------------------------------------------------------------------------------------

// Weight storage. int4 is MatMulNBits (block 32, symmetric); the others are dense Gemm weights.
export const Precision = z.enum(['fp32', 'fp16', 'int4']);
export type Precision = z.infer<typeof Precision>;
export const PRECISIONS = Precision.options;

// Activation (io) dtype: the hidden states, the RoPE tables and a float KV cache share it.
export const IoDtype = z.enum(['fp32', 'fp16']);
export type IoDtype = z.infer<typeof IoDtype>;
export const IO_DTYPES = IoDtype.options;

export const KvDtype = z.enum(['fp32', 'fp16', 'int8', 'int4']);
export type KvDtype = z.infer<typeof KvDtype>;
export const KV_DTYPES = KvDtype.options;
export type QuantizedKv = Extract<KvDtype, 'int8' | 'int4'>;
// What a user is offered for the cache: fp32 exists for exactness tests, never as a memory choice.
export const USER_KV_DTYPES: readonly KvDtype[] = ['fp16', 'int8', 'int4'];

export const Provider = z.enum(['cpu', 'cuda', 'webgpu', 'dml', 'coreml']);
export type Provider = z.infer<typeof Provider>;
export const PROVIDERS = Provider.options;
export const ProviderChoice = z.enum(['auto', ...PROVIDERS]);
export type ProviderChoice = z.infer<typeof ProviderChoice>;
export const PROVIDER_CHOICES = ProviderChoice.options;

// ---- Storage -----------------------------------------------------------------------------------------------

// ONNX TensorProto.DataType values the graph uses.
export const ONNX_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;
export type OnnxType = (typeof ONNX_TYPE)[keyof typeof ONNX_TYPE];
export const ONNX_TYPE_BYTES: Record<OnnxType, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 10: 2 };
// onnxruntime-node's name for each element type (float16 travels as Uint16Array bits).
export const ORT_TYPE_NAME = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 10: 'float16' } as const satisfies Record<OnnxType, string>;

export const IO_TYPE: Record<IoDtype, OnnxType> = { fp32: ONNX_TYPE.FLOAT, fp16: ONNX_TYPE.FLOAT16 };

export interface KvStorage {
  bits: number;
  // Element type of the cache tensors. int4 travels packed two per uint8 along head_dim (GQA reads it so):
  // element 2j in the low nibble of byte j, stored as q + 8.
  elementType: OnnxType;
  quantized: boolean;
}
export const KV_STORAGE: Record<KvDtype, KvStorage> = {
  fp32: { bits: 32, elementType: ONNX_TYPE.FLOAT, quantized: false },
  fp16: { bits: 16, elementType: ONNX_TYPE.FLOAT16, quantized: false },
  int8: { bits: 8, elementType: ONNX_TYPE.INT8, quantized: true },
  int4: { bits: 4, elementType: ONNX_TYPE.UINT8, quantized: true },
};

export function isQuantizedKv(kv: KvDtype): kv is QuantizedKv {
  return KV_STORAGE[kv].quantized;
}

export interface KvDims {
  layers: number;
  kvHeads: number;
  headDim: number;
}

// The cache dimensions of a model config (hf-config.ts's LlamaConfig and quire.json's copy of it).
export function kvDims(config: { numLayers: number; numKvHeads: number; headDim: number }): KvDims {
  return { layers: config.numLayers, kvHeads: config.numKvHeads, headDim: config.headDim };
}

// ---- Quantized caches per provider (docs/gpu-providers.md, "Quantized KV caches per provider") ---------------
//
// onnxruntime 1.30 quantizes a GroupQueryAttention cache in two ways that share no graph:
//   static  the operator's own k_quant_type/v_quant_type PER_CHANNEL with calibrated scales (graph inputs 12/13),
//           an int8 cache or int4 packed in uint8. Read by the CPU kernel (any io) and by CUDA's (fp16/bf16
//           queries only: it registers no float32 GroupQueryAttention). WebGPU's kernel reads neither cache type.
//   webgpu  the WebGPU provider's own quantization, switched on for a whole session by its provider option
//           kvCacheQuantizationBits (8 or 4). The graph keeps a float cache of the io dtype and carries no scales;
//           each cached row (one kv head, one token) holds a float32 scale then the packed values: int8 symmetric
//           per row, int4 "TurboQuant" (a norm and 4-bit codes). The row is (1 + head_dim·bits/32) u32 words,
//           expressed in io elements. No other provider reads that layout.
// Absent from quire.json (manifests older than this field) a quantized cache is static.
export const KvQuant = z.enum(['static', 'webgpu']);
export type KvQuant = z.infer<typeof KvQuant>;
export const WEBGPU_KV_BITS_OPTION = 'kvCacheQuantizationBits';

// A cache as the graph stores it: its dtype, the activation dtype, and for int8/int4 how it is quantized.
export interface KvFormat {
  kv: KvDtype;
  io: IoDtype;
  quant?: KvQuant;
}

export function kvFormatOf(m: { kvDtype: KvDtype; ioDtype: IoDtype; kvQuant?: KvQuant }): KvFormat {
  return { kv: m.kvDtype, io: m.ioDtype, ...(m.kvQuant ? { quant: m.kvQuant } : {}) };
}

function dtypeOf(kv: KvDtype | KvFormat): KvDtype {
  return typeof kv === 'string' ? kv : kv.kv;
}

function isWebgpuKv(kv: KvDtype | KvFormat): boolean {
  return typeof kv !== 'string' && kv.quant === 'webgpu' && isQuantizedKv(kv.kv);
}

// ONNX element type of the cache tensors: a WebGPU-quantized cache travels as the io dtype.
export function kvElementType(kv: KvDtype | KvFormat): OnnxType {
  if (isWebgpuKv(kv)) return IO_TYPE[(kv as KvFormat).io];
  return KV_STORAGE[dtypeOf(kv)].elementType;
}

// Bytes of one cached row (one kv head, one token).
export function kvRowBytes(headDim: number, kv: KvDtype | KvFormat): number {
  if (isWebgpuKv(kv)) return (1 + (headDim * KV_STORAGE[dtypeOf(kv)].bits) / 32) * 4;
  return Math.ceil((headDim * KV_STORAGE[dtypeOf(kv)].bits) / 8);
}

// Elements in the last dimension of a cache tensor [1, kvHeads, capacity, rowElements].
export function kvRowElements(headDim: number, kv: KvDtype | KvFormat): number {
  return kvRowBytes(headDim, kv) / ONNX_TYPE_BYTES[kvElementType(kv)];
}

// K and V of every layer and kv head for one token.
export function kvBytesPerToken(dims: KvDims, kv: KvDtype | KvFormat): number {
  return 2 * dims.layers * dims.kvHeads * kvRowBytes(dims.headDim, kv);
}

// Static int8/int4 caches carry per-channel float32 scales for K and V in every layer; independent of length.
// A WebGPU-quantized cache keeps its scales inside its rows (counted in kvRowBytes).
export function kvScaleBytes(dims: KvDims, kv: KvDtype | KvFormat): number {
  if (isWebgpuKv(kv)) return 0;
  return isQuantizedKv(dtypeOf(kv)) ? 2 * dims.layers * dims.kvHeads * dims.headDim * 4 : 0;
}

// The providers a converted graph runs on, decided by its cache (weights and float caches run everywhere).
export function kvProviders(f: KvFormat): Provider[] {
  if (!isQuantizedKv(f.kv)) return [...PROVIDERS];
  if (f.quant === 'webgpu') return ['webgpu'];
  return f.io === 'fp16' ? ['cpu', 'cuda'] : ['cpu'];
}

// What the WebGPU kernels accept for their own quantization (onnxruntime 1.30 flash_attention.cc): int8 rows of
// 4-byte words, int4 TurboQuant rotations over a power-of-two head.
export function webgpuKvHeadDimProblem(kv: QuantizedKv, headDim: number): string | null {
  if (kv === 'int8' && headDim % 4 !== 0) return `WebGPU's int8 cache needs head_dim divisible by 4, got ${headDim}`;
  if (kv === 'int4' && (headDim < 8 || (headDim & (headDim - 1)) !== 0)) return `WebGPU's int4 cache needs a power-of-two head_dim of at least 8, got ${headDim}`;
  return null;
}

// Refuses up front, in one line, a model whose cache the chosen provider cannot read, instead of the kernel's
// own failure mid-run (raw_hash_map<>::at, or a shape error on past_key).
export function checkKvProvider(m: { kvDtype: KvDtype; ioDtype: IoDtype; kvQuant?: KvQuant; providers?: Provider[] }, provider: Provider): void {
  const f = kvFormatOf(m);
  const runs = m.providers ?? kvProviders(f);
  if (runs.includes(provider)) return;
  const fix = (target: Provider) => `convert it again with --kv ${f.kv} --provider ${target}`;
  if (f.quant === 'webgpu') {
    throw new QuireError('UNSUPPORTED_MODEL', `this model's ${f.kv} KV cache uses WebGPU's own quantization and runs on webgpu only; for ${provider}, ${fix(provider)}`);
  }
  if (provider === 'webgpu') {
    throw new QuireError('UNSUPPORTED_MODEL', `this model's ${f.kv} KV cache uses static per-channel scales, which onnxruntime 1.30's WebGPU attention cannot read; ${fix('webgpu')}`);
  }
  throw new QuireError('UNSUPPORTED_MODEL', `this model's ${f.kv} KV cache with ${f.io} activations does not run on ${provider} (it runs on ${runs.join(', ')})${provider === 'cuda' ? `; convert it again with --io fp16 --kv ${f.kv}` : ''}`);
}

// ---- Graph I/O names (the contract between the graph builder and both engine paths) -------------------------

export type KvKind = 'key' | 'value';
export const GRAPH_IO = {
  inputIds: 'input_ids',
  seqlensK: 'seqlens_k',
  totalSequenceLength: 'total_sequence_length',
  cosCache: 'cos_cache',
  sinCache: 'sin_cache',
  numLogitsToKeep: 'num_logits_to_keep',
  logits: 'logits',
  past: (layer: number, kind: KvKind) => `past_key_values.${layer}.${kind}`,
  present: (layer: number, kind: KvKind) => `present.${layer}.${kind}`,
} as const;

// ---- Conversion: which combinations are valid where ----------------------------------------------------------

export interface Conversion {
  precision: Precision;
  io: IoDtype;
  kv: KvDtype;
  // Set only for an int8/int4 cache in WebGPU's own quantization; absent is static (KvQuant above).
  kvQuant?: 'webgpu';
}

export interface ConversionRequest {
  precision?: Precision;
  io?: IoDtype;
  kv?: KvDtype;
  kvQuant?: KvQuant;
}

export interface ConversionTarget {
  // The provider the model is converted for; `auto` and undefined mean "whatever this machine picks".
  provider?: ProviderChoice;
  // Whether that provider runs 16-bit float activations (WebGPU adapters without shader-f16 do not).
  float16?: boolean;
}

const GPU_PROVIDERS: readonly ProviderChoice[] = ['cuda', 'webgpu', 'dml', 'coreml'];

// Dense weights are stored in the activation dtype (Gemm takes both in one type); int4 weights dequantize to
// either, so their io follows the cache, else the provider: fp16 on a GPU that runs it, fp32 on a CPU (where
// 16-bit activations buy no speed).
function defaultIo(precision: Precision, kv: KvDtype | undefined, target: ConversionTarget): IoDtype {
  if (precision !== 'int4') return precision;
  if (kv === 'fp32' || kv === 'fp16') return kv;
  const gpu = target.provider !== undefined && GPU_PROVIDERS.includes(target.provider);
  return gpu && target.float16 !== false ? 'fp16' : 'fp32';
}

// What of a model needs WebGPU's shader-f16, if anything: 16-bit activations or weights, and int4 weights,
// whose WebGPU kernels (onnxruntime 1.30) compute in f16 whatever the activations (docs/gpu-providers.md).
export function webgpuF16Need(m: { precision: Precision; io: IoDtype; kv: KvDtype }): string | null {
  if (m.io === 'fp16' || m.kv === 'fp16' || m.precision === 'fp16') return 'fp16 activations';
  if (m.precision === 'int4') return 'int4 weights';
  return null;
}

// Decides the whole (precision, io, kv) triple and refuses an invalid one before anything is downloaded or
// written. Rules, each from the runtime: dense weights compute in their own dtype; a float cache has the
// activation dtype (GroupQueryAttention fails at run time otherwise); a provider without 16-bit float shaders
// takes fp32 io only.
export function resolveConversion(request: ConversionRequest, target: ConversionTarget = {}): Conversion {
  const precision = request.precision ?? 'fp16';
  const io = request.io ?? defaultIo(precision, request.kv, target);
  const kv = request.kv ?? io;
  const refuse = (why: string): never => {
    throw new QuireError('INVALID_INPUT', `--precision ${precision} --io ${io} --kv ${kv}: ${why}`);
  };
  if (precision !== 'int4' && io !== precision) refuse(`${precision} weights compute in ${precision} (--io ${precision}; int4 weights run with either)`);
  if (!isQuantizedKv(kv) && kv !== io) refuse(`a ${kv} cache needs ${kv} activations (--io ${kv})`);
  if (io === 'fp16' && target.float16 === false) refuse(`the ${target.provider ?? 'chosen'} device has no 16-bit float shaders: use --io fp32`);
  if (target.provider === 'webgpu' && target.float16 === false && webgpuF16Need({ precision, io, kv })) {
    refuse('int4 weights need 16-bit float shaders on WebGPU, which this device lacks: use --precision fp32');
  }
  // A quantized cache is quantized the way the target provider reads it: WebGPU reads only its own layout.
  const kvQuant = isQuantizedKv(kv) ? (request.kvQuant ?? (target.provider === 'webgpu' ? 'webgpu' : 'static')) : undefined;
  if (request.kvQuant && !isQuantizedKv(kv)) refuse(`a ${kv} cache is not quantized`);
  if (kvQuant === 'static' && target.provider === 'webgpu') refuse("WebGPU's attention reads only its own quantized cache, not static scales");
  if (kvQuant === 'static' && target.provider === 'cuda' && io !== 'fp16') refuse('CUDA runs an int8/int4 cache with fp16 activations only (--io fp16)');
  if (kvQuant === 'webgpu' && target.provider !== undefined && target.provider !== 'webgpu' && target.provider !== 'auto') refuse(`a WebGPU-quantized cache runs on webgpu only, not ${target.provider}`);
  return kvQuant === 'webgpu' ? { precision, io, kv, kvQuant } : { precision, io, kv };
}

// Every valid combination for a target, for the UI: an invalid choice is never offered.
export function conversionChoices(target: ConversionTarget = {}): Conversion[] {
  const out: Conversion[] = [];
  for (const precision of PRECISIONS) {
    for (const io of IO_DTYPES) {
      for (const kv of KV_DTYPES) {
        try {
          out.push(resolveConversion({ precision, io, kv }, target));
        } catch {
          // not valid on this target
        }
      }
    }
  }
  return out;
}

// The caches offered for a device, in the order shown: the user's choices it runs, and fp32 first where the
// device has no 16-bit floats (then no fp16 cache runs, and fp32 is the exact one).
export function offeredKvDtypes(choices: readonly Conversion[]): KvDtype[] {
  const runs = (kv: KvDtype) => choices.some((c) => c.kv === kv);
  const offered = USER_KV_DTYPES.filter(runs);
  return runs('fp16') || !runs('fp32') ? offered : ['fp32', ...offered];
}

// The cache an install uses: the one chosen in Settings where the device runs it, else the first offered.
export function installKv(choices: readonly Conversion[], chosen: KvDtype): KvDtype | null {
  return choices.some((c) => c.kv === chosen) ? chosen : (offeredKvDtypes(choices)[0] ?? null);
}

// ---- Prompt and generation ---------------------------------------------------------------------------------

// `instructions`: Quire's system prompt, titled document blocks and a labelled question (instruct models).
// `bare`: the document text, a blank line and the question in one user turn (quire-nano was trained so).
export const PromptStyle = z.enum(['instructions', 'bare']);
export type PromptStyle = z.infer<typeof PromptStyle>;

export const GenerationDefaults = z.object({
  greedy: z.boolean(),
  temperature: z.number().min(0).max(10),
  topP: z.number().gt(0).max(1),
});
export type GenerationDefaults = z.infer<typeof GenerationDefaults>;

// transformers' own defaults when generation_config.json says nothing (GenerationConfig: temperature 1,
// top_p 1, do_sample false).
export function generationDefaults(config: Record<string, unknown> | null): GenerationDefaults {
  const number = (key: string, fallback: number) => (typeof config?.[key] === 'number' ? (config[key] as number) : fallback);
  return { greedy: config?.do_sample !== true, temperature: number('temperature', 1), topP: number('top_p', 1) };
}

// ---- The answer's room ---------------------------------------------------------------------------------------

// Share of a model's context an answer may take at most: a small model (quire-nano has 4K) keeps room for the
// documents, which are the point.
export const MAX_ANSWER_FRACTION = 1 / 8;

// Context lengths offered in Settings and by the fit check's advice (a model caps them at its own).
export const CONTEXT_CHOICES = [4_096, 8_192, 16_384, 32_768, 131_072, 262_144, 524_288, 1_048_576, 2_097_152, 4_194_304];

// The context the engine is loaded with: the one chosen in Settings, never more than the model was converted for.
export function engineContext(model: { contextTokens: number }, settings: { contextTokens: number }): number {
  return Math.min(settings.contextTokens, model.contextTokens);
}

// The one rule for how many tokens an answer may take: the longest-answer setting, capped by the context.
export function answerRoom(contextTokens: number, answerTokens: number): number {
  return Math.max(1, Math.min(answerTokens, Math.floor(contextTokens * MAX_ANSWER_FRACTION)));
}

// ---- quire.json -----------------------------------------------------------------------------------------------

export const MANIFEST_FILE = 'quire.json';
export const MANIFEST_FORMAT = 'quire-model';
export const MANIFEST_VERSION = 1;
export const DEMO_LABEL = 'demo: produces meaningless text';

const positiveInt = z.number().int().positive();

export const RopeManifest = z.object({
  rope_type: z.enum(['default', 'linear', 'llama3', 'yarn']),
  rope_theta: z.number().positive(),
  head_dim: positiveInt,
  max_position_embeddings: positiveInt,
  factor: z.number().positive().optional(),
  low_freq_factor: z.number().optional(),
  high_freq_factor: z.number().optional(),
  original_max_position_embeddings: positiveInt.optional(),
  attention_factor: z.number().positive(),
  beta_fast: z.number().optional(),
  beta_slow: z.number().optional(),
  mscale: z.number().optional(),
  mscale_all_dim: z.number().optional(),
  truncate: z.boolean().optional(),
  hash: z.string().min(1),
});

export const LlamaConfigManifest = z.object({
  architecture: z.literal('LlamaForCausalLM'),
  hiddenSize: positiveInt,
  intermediateSize: positiveInt,
  numLayers: positiveInt,
  numHeads: positiveInt,
  numKvHeads: positiveInt,
  headDim: positiveInt,
  vocabSize: positiveInt,
  rmsNormEps: z.number().positive(),
  tieWordEmbeddings: z.boolean(),
  bosTokenId: z.number().int().nullable(),
  eosTokenIds: z.array(z.number().int()),
  maxPositionEmbeddings: positiveInt,
  rope: RopeManifest.omit({ attention_factor: true, hash: true }),
});

// The hashes quire.json's checksums are taken with (models/file-checksum.ts): sha256 until BLAKE3 replaced it,
// since hashing every byte was half the converter's CPU time.
export const HashAlgorithm = z.enum(['sha256', 'blake3']);
export type HashAlgorithm = z.infer<typeof HashAlgorithm>;

export const ModelManifest = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    version: z.literal(MANIFEST_VERSION),
    // Random-weight test and demo models say so wherever they are listed.
    demo: z.boolean(),
    label: z.string().optional(),
    name: z.string().min(1),
    config: LlamaConfigManifest,
    precision: Precision,
    ioDtype: IoDtype,
    kvDtype: KvDtype,
    kvBytesPerToken: positiveInt,
    // int8/int4 caches: how the static per-channel scales (graph initializers) were calibrated.
    kvScales: z.object({ method: z.string(), headroom: z.number(), calibrationTokens: z.number().int() }).optional(),
    // int8/int4 caches: how they are quantized (absent: static), and the providers the graph runs on (absent:
    // those kvProviders gives).
    kvQuant: KvQuant.optional(),
    providers: z.array(Provider).min(1).optional(),
    // Default context the engine builds RoPE tables for.
    contextTokens: positiveInt,
    rope: RopeManifest,
    // Manifests written before these fields existed: demo models got the bare layout and greedy decoding.
    promptStyle: PromptStyle.optional(),
    generation: GenerationDefaults.optional(),
    files: z.object({ model: z.string().min(1), data: z.string().min(1), tokenizer: z.array(z.string()) }),
    parameters: z.number().int().nonnegative(),
    bytes: z.object({ model: z.number().int().nonnegative(), data: z.number().int().nonnegative() }),
    // `checksum`: sha256 over "name:digest" lines of every tensor the conversion read, each digest the hash
    // `algorithm` names of the tensor's raw bytes (models/safetensors.ts). Absent: sha256, converted before BLAKE3.
    source: z.object({ checksum: z.string(), dtype: z.string(), algorithm: HashAlgorithm.optional() }),
    // The hash of every file the conversion wrote (model, data, tokenizer files), so a damaged folder is found
    // by a check (models/verify-model.ts) rather than by garbage answers. Absent: converted before checksums.
    checksums: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
    // The hash `checksums` were taken with. Absent: sha256, converted before BLAKE3.
    checksumAlgorithm: HashAlgorithm.optional(),
  })
  .superRefine((m, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (m.config.numHeads % m.config.numKvHeads !== 0) issue('numHeads must be a multiple of numKvHeads');
    if (m.kvBytesPerToken !== kvBytesPerToken(kvDims(m.config), kvFormatOf(m))) {
      issue(`kvBytesPerToken ${m.kvBytesPerToken} disagrees with a ${m.kvDtype} cache of this config`);
    }
    if (!isQuantizedKv(m.kvDtype) && m.kvDtype !== m.ioDtype) issue(`a ${m.kvDtype} cache with ${m.ioDtype} activations does not run`);
    if (m.precision !== 'int4' && m.ioDtype !== m.precision) issue(`${m.precision} weights with ${m.ioDtype} activations do not run`);
    if (m.contextTokens > m.config.maxPositionEmbeddings) issue(`contextTokens ${m.contextTokens} exceeds max_position_embeddings`);
    if (isQuantizedKv(m.kvDtype) && m.kvQuant !== 'webgpu' && !m.kvScales) issue(`a ${m.kvDtype} cache needs its calibrated scales`);
    if (m.kvQuant && !isQuantizedKv(m.kvDtype)) issue(`a ${m.kvDtype} cache is not quantized`);
  });
export type ModelManifest = z.infer<typeof ModelManifest>;

// Prompt style and sampling of a manifest, with the defaults of manifests that predate those fields.
export function promptStyleOf(m: Pick<ModelManifest, 'promptStyle' | 'demo'>): PromptStyle {
  return m.promptStyle ?? (m.demo ? 'bare' : 'instructions');
}
export function generationOf(m: Pick<ModelManifest, 'generation' | 'demo'>): GenerationDefaults {
  return m.generation ?? (m.demo ? { greedy: true, temperature: 1, topP: 1 } : generationDefaults({ do_sample: true, temperature: 0.6, top_p: 0.9 }));
}

// Reads quire.json's parsed JSON through the schema: a foreign file is UNSUPPORTED_MODEL, a Quire manifest of
// another version is UNSUPPORTED_MODEL, and one that is damaged or hand-edited into nonsense is MODEL_CORRUPT.
export function parseManifest(raw: unknown, where: string): ModelManifest {
  const head = (raw ?? {}) as { format?: unknown; version?: unknown };
  if (head.format !== MANIFEST_FORMAT) throw new QuireError('UNSUPPORTED_MODEL', `${where}: ${MANIFEST_FILE} is not a Quire model manifest`);
  if (head.version !== MANIFEST_VERSION) {
    throw new QuireError('UNSUPPORTED_MODEL', `${where}: manifest version ${JSON.stringify(head.version)} is not supported (want ${MANIFEST_VERSION}); convert the model again`);
  }
  const parsed = ModelManifest.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const path = first.path.length ? `${first.path.join('.')}: ` : '';
    throw new QuireError('MODEL_CORRUPT', `${where}: ${MANIFEST_FILE} is damaged (${path}${first.message}); convert or install the model again`);
  }
  return parsed.data;
}
