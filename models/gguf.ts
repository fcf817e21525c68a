import { randomUUID } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isDiskFull, QuireError } from '../electron/common/errors.ts';
import { chatTemplateFromConfig } from './chat-template.ts';
import { float32ToHalf, halfToFloat32 } from './float16.ts';
import { readJsonFile, type LlamaConfig, type RopeConfig } from './hf-config.ts';
import { dequantizeInt4Rows, INT4_BLOCK } from './int4.ts';
import { ONNX_TYPE, ONNX_TYPE_BYTES, type OnnxType, type Precision } from './model-spec.ts';
import { ModelWeights } from './model-weights.ts';
import { q4_0FromInt4, Q4_0_BLOCK_BYTES, ScaleRounding } from './q4-0.ts';
import { ropeFrequencies } from './rope.ts';
import { LLAMA3_SPLIT_PATTERN } from './tokenizer/pretokenizer.ts';
import { loadTokenizer, splitPatternOf, type TokenizerConfigJson, type TokenizerJson } from './tokenizer/tokenizer.ts';

// Exports a converted Quire model folder as a GGUF v3 file that llama.cpp (and Ollama, LM Studio) runs: the
// weights Quire runs, its exact RoPE/YaRN, its tokenizer and chat template. An int4 model becomes Q4_0 from its
// own blocks (q4-0.ts), so both engines run the same values. Weights stream from the model's data file a chunk
// of rows at a time: memory stays near the chunk size whatever the model size.
//
// Three things differ from Quire's graph:
// - llama.cpp's `llama` architecture rotates adjacent pairs (x0,x1),(x2,x3)…; Quire (like HF) rotates the two
//   halves of a head. Rows of q and k are interleaved within each head (row h·d + 2i + j ← h·d + j·d/2 + i) so
//   both rotations pair the same features; Quire's packed q/k/v matrix is split into three.
// - llama.cpp (at the version node-llama-cpp 3.22 ships) reads no YaRN beta keys for `llama` (it ramps with
//   beta_fast 32, beta_slow 1, always floored/ceiled) and recomputes the YaRN attention factor itself as
//   0.1·ln(factor) + 1, ignoring `yarn_attn_factor`. The rope_freqs tensor (a per-pair divisor of the base
//   frequency, the way llama.cpp already expresses Llama-3.1 RoPE) absorbs any difference between what
//   llama.cpp computes from the keys and the checkpoint's true frequencies, and `rope.scaling.attn_factor`
//   carries an explicit attention factor as a ratio to llama.cpp's own.
// - norms and rope_freqs are F32 whatever the type, as llama.cpp's converter keeps them.

export type GgufType = 'F32' | 'F16' | 'Q4_0';

export interface GgufExportOptions {
  type?: GgufType;
  name?: string;
}

export interface GgufExport {
  path: string;
  type: GgufType;
  bytes: number;
  tensors: number;
  metadataKeys: number;
  // rope_freqs factors written (null when llama.cpp's own rotation already equals the checkpoint's).
  ropeFactors: Float32Array | null;
  // Q4_0: what rounding Quire's int4 scales to fp16 changed in the dequantized weights.
  scaleRounding: ScaleRounding | null;
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const VERSION = 3;
const ALIGNMENT = 32;
const VALUE = { U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
// ggml's type id, and the file type llama.cpp's own converter records (LLAMA_FTYPE_ALL_F32, _MOSTLY_F16, _MOSTLY_Q4_0).
const GGML_TYPE: Record<GgufType, { id: number; fileType: number }> = { F32: { id: 0, fileType: 0 }, F16: { id: 1, fileType: 1 }, Q4_0: { id: 2, fileType: 2 } };
const FLOAT_BYTES = { F32: 4, F16: 2 } as const;
const TOKEN_TYPE = { NORMAL: 1, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5 } as const;
// The ramp llama.cpp uses for `llama` whatever the file says (llama_hparams defaults).
const LLAMA_CPP_BETA_FAST = 32;
const LLAMA_CPP_BETA_SLOW = 1;
// Below this relative difference the two rotations are the same float32 frequencies.
const ROPE_FACTOR_TOLERANCE = 1e-6;
const CHUNK_BYTES = 16 * 1024 * 1024;

// Little-endian key/value and tensor-info encoder; parts are joined once at the end.
class Encoder {
  private parts: Buffer[] = [];

  private push(buf: Buffer): void {
    this.parts.push(buf);
  }
  u8(v: number): void {
    this.push(Buffer.of(v));
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Metadata {
  readonly enc = new Encoder();
  count = 0;

  private key(key: string, type: number): void {
    this.enc.string(key);
    this.enc.u32(type);
    this.count++;
  }
  u32(key: string, v: number): void {
    this.key(key, VALUE.U32);
    this.enc.u32(v);
  }
  f32(key: string, v: number): void {
    this.key(key, VALUE.F32);
    this.enc.f32(v);
  }
  bool(key: string, v: boolean): void {
    this.key(key, VALUE.BOOL);
    this.enc.u8(v ? 1 : 0);
  }
  string(key: string, v: string): void {
    this.key(key, VALUE.STRING);
    this.enc.string(v);
  }
  strings(key: string, values: readonly string[]): void {
    this.key(key, VALUE.ARRAY);
    this.enc.u32(VALUE.STRING);
    this.enc.u64(values.length);
    for (const v of values) this.enc.string(v);
  }
  i32s(key: string, values: readonly number[]): void {
    this.key(key, VALUE.ARRAY);
    this.enc.u32(VALUE.I32);
    this.enc.u64(values.length);
    for (const v of values) this.enc.i32(v);
  }
}

// The base frequency of each rotary pair as llama.cpp computes it from the rope keys this exporter writes
// (ggml's rope_yarn and ggml_rope_yarn_corr_dims, in float64).
export function llamaCppFrequencies(rope: RopeConfig): Float64Array {
  const d = rope.head_dim;
  const out = new Float64Array(d / 2);
  const factor = rope.factor ?? 1;
  const original = rope.original_max_position_embeddings ?? rope.max_position_embeddings;
  const corrDim = (rotations: number) => (d * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(rope.rope_theta));
  const low = Math.max(0, Math.floor(corrDim(LLAMA_CPP_BETA_FAST)));
  const high = Math.min(d - 1, Math.ceil(corrDim(LLAMA_CPP_BETA_SLOW)));
  for (let i = 0; i < d / 2; i++) {
    const base = rope.rope_theta ** ((-2 * i) / d);
    if (rope.rope_type === 'linear') out[i] = base / factor;
    else if (rope.rope_type === 'yarn') {
      const mix = 1 - Math.min(1, Math.max(0, (i - low) / Math.max(0.001, high - low)));
      out[i] = base * ((1 - mix) / factor + mix);
    } else out[i] = base;
  }
  return out;
}

// rope_freqs divides llama.cpp's frequency per pair: llama.cpp's frequency over the checkpoint's.
export function ropeFactors(rope: RopeConfig): Float32Array | null {
  const target = ropeFrequencies(rope).invFreq;
  const own = llamaCppFrequencies(rope);
  const factors = Float32Array.from(own, (f, i) => f / target[i]);
  return factors.some((f) => Math.abs(f - 1) > ROPE_FACTOR_TOLERANCE) ? factors : null;
}

function writeRope(meta: Metadata, cfg: LlamaConfig): void {
  const rope = cfg.rope;
  meta.f32('llama.rope.freq_base', rope.rope_theta);
  meta.u32('llama.rope.dimension_count', cfg.headDim);
  if (rope.rope_type === 'linear') {
    meta.string('llama.rope.scaling.type', 'linear');
    meta.f32('llama.rope.scaling.factor', rope.factor!);
  } else if (rope.rope_type === 'yarn') {
    const factor = rope.factor!;
    meta.string('llama.rope.scaling.type', 'yarn');
    meta.f32('llama.rope.scaling.factor', factor);
    meta.u32('llama.rope.scaling.original_context_length', rope.original_max_position_embeddings ?? rope.max_position_embeddings);
    // The ramp the frequencies are expressed against; rope_freqs holds the checkpoint's own betas if they differ,
    // so a llama.cpp that starts honouring these keys computes the same rotation.
    meta.f32('llama.rope.scaling.yarn_beta_fast', LLAMA_CPP_BETA_FAST);
    meta.f32('llama.rope.scaling.yarn_beta_slow', LLAMA_CPP_BETA_SLOW);
    const own = factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1;
    const attention = ropeFrequencies(rope).attentionFactor;
    meta.f32('llama.rope.scaling.yarn_attn_factor', attention);
    if (Math.abs(attention / own - 1) > ROPE_FACTOR_TOLERANCE) meta.f32('llama.rope.scaling.attn_factor', attention / own);
  }
  // llama3 has no scaling key: llama.cpp rotates with the base frequencies and rope_freqs does the rest.
}

async function writeTokenizer(meta: Metadata, hfDir: string, vocabSize: number): Promise<void> {
  const tokenizer = await loadTokenizer(hfDir); // refuses anything but a Llama-3-style byte-level BPE
  const json = readJsonFile(join(hfDir, 'tokenizer.json')) as unknown as TokenizerJson;
  const config = readJsonFile(join(hfDir, 'tokenizer_config.json')) as TokenizerConfigJson & { add_bos_token?: boolean };
  if (splitPatternOf(json.pre_tokenizer) !== LLAMA3_SPLIT_PATTERN) {
    throw new QuireError('UNSUPPORTED_MODEL', 'tokenizer.json: the split pattern is not Llama-3\'s, so llama.cpp\'s "llama-bpe" pre-tokenizer would differ');
  }
  if (tokenizer.vocabSize > vocabSize) {
    throw new QuireError('UNSUPPORTED_MODEL', `the tokenizer has ${tokenizer.vocabSize} tokens, the model's vocab_size is ${vocabSize}`);
  }
  const tokens = new Array<string>(vocabSize);
  const types = new Array<number>(vocabSize).fill(TOKEN_TYPE.UNUSED);
  for (const [text, id] of Object.entries(json.model.vocab)) {
    tokens[id] = text;
    types[id] = TOKEN_TYPE.NORMAL;
  }
  for (const added of json.added_tokens ?? []) {
    tokens[added.id] = added.content;
    types[added.id] = added.special === false ? TOKEN_TYPE.USER_DEFINED : TOKEN_TYPE.CONTROL;
  }
  // Rows of the embedding no token maps to, named as llama.cpp's converter names them.
  for (let id = 0; id < vocabSize; id++) tokens[id] ??= `[PAD${id}]`;
  meta.string('tokenizer.ggml.model', 'gpt2');
  meta.string('tokenizer.ggml.pre', 'llama-bpe');
  meta.strings('tokenizer.ggml.tokens', tokens);
  meta.i32s('tokenizer.ggml.token_type', types);
  meta.strings('tokenizer.ggml.merges', json.model.merges.map((m) => (typeof m === 'string' ? m : m.join(' '))));
  if (tokenizer.bosId !== null) meta.u32('tokenizer.ggml.bos_token_id', tokenizer.bosId);
  if (tokenizer.eosIds.length > 0) meta.u32('tokenizer.ggml.eos_token_id', tokenizer.eosIds[0]);
  meta.bool('tokenizer.ggml.add_bos_token', config.add_bos_token ?? true);
  meta.string('tokenizer.chat_template', chatTemplateFromConfig(config).source);
}

// A matrix's rows encoded as the GGUF tensor stores them, read `count` rows from `start` at a time.
interface RowSource {
  rows: number;
  cols: number;
  type: GgufType;
  rowBytes: number;
  read(start: number, count: number): Uint8Array;
}

interface PlannedTensor {
  name: string;
  source: RowSource;
  // ggml's dimension order (fastest-varying first); a norm is one row of `cols`.
  dims: number[];
  // q/k rows go from HF's rotate-half order to llama.cpp's adjacent pairs, within each head of this many rows.
  headRows?: number;
}

function encodeFloats(values: Float32Array, type: GgufType): Uint8Array {
  if (type === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const half = float32ToHalf(values);
  return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
}

function toFloats(bytes: Uint8Array, type: OnnxType): Float32Array {
  if (type === ONNX_TYPE.FLOAT) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (type === ONNX_TYPE.FLOAT16) return halfToFloat32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2));
  throw new QuireError('MODEL_CORRUPT', `a float weight is stored as ONNX type ${type}`);
}

// Rows [first, first + rows) of a float weight (fp32 or fp16 in the graph), as F32 or F16.
function denseRows(weights: ModelWeights, name: string, type: 'F32' | 'F16', first = 0, rows?: number): RowSource {
  const t = weights.info(name);
  const cols = t.dims.at(-1)!;
  const inRow = cols * ONNX_TYPE_BYTES[t.type];
  return {
    rows: rows ?? t.dims.slice(0, -1).reduce((a, b) => a * b, 1),
    cols,
    type,
    rowBytes: cols * FLOAT_BYTES[type],
    read: (start, count) => {
      const bytes = weights.read(name, (first + start) * inRow, count * inRow);
      // Stored as GGUF wants it (an int4 model's fp16 embedding into Q4_0's F16): the bytes as they are.
      const same = (t.type === ONNX_TYPE.FLOAT && type === 'F32') || (t.type === ONNX_TYPE.FLOAT16 && type === 'F16');
      return same ? bytes : encodeFloats(toFloats(bytes, t.type), type);
    },
  };
}

// Rows [first, first + rows) of a MatMulNBits weight (`.qweight` [N, K/32, 16], `.scales` [N·K/32] of the io
// dtype): as Q4_0 blocks carrying the same q values, or dequantized to F32/F16.
function int4Rows(weights: ModelWeights, base: string, type: GgufType, rounding: ScaleRounding, first: number, rows: number): RowSource {
  const [, blocks] = weights.info(`${base}.qweight`).dims;
  const scales = weights.info(`${base}.scales`);
  const cols = blocks * INT4_BLOCK;
  const packedRow = cols / 2;
  const scaleRow = blocks * ONNX_TYPE_BYTES[scales.type];
  return {
    rows,
    cols,
    type,
    rowBytes: type === 'Q4_0' ? blocks * Q4_0_BLOCK_BYTES : cols * FLOAT_BYTES[type],
    read: (start, count) => {
      const packed = weights.read(`${base}.qweight`, (first + start) * packedRow, count * packedRow);
      const s = toFloats(weights.read(scales.name, (first + start) * scaleRow, count * scaleRow), scales.type);
      return type === 'Q4_0' ? q4_0FromInt4(packed, s, rounding) : encodeFloats(dequantizeInt4Rows(packed, s, count, cols), type);
    },
  };
}

// A linear layer of Quire's graph (llama-graph.ts names it `<base>.weight`, or `.qweight`/`.scales` for int4).
function linearRows(weights: ModelWeights, base: string, type: GgufType, rounding: ScaleRounding, first = 0, rows?: number): RowSource {
  if (weights.has(`${base}.qweight`)) return int4Rows(weights, base, type, rounding, first, rows ?? weights.info(`${base}.qweight`).dims[0]);
  if (type === 'Q4_0') throw new QuireError('INTERNAL', `${base} is not int4`);
  return denseRows(weights, `${base}.weight`, type, first, rows);
}

function planTensors(weights: ModelWeights, type: GgufType, factors: Float32Array | null, rounding: ScaleRounding): PlannedTensor[] {
  const cfg = weights.manifest.config;
  const { numHeads: Hq, numKvHeads: Hkv, headDim: D } = cfg;
  const matrix = (name: string, source: RowSource, headRows?: number): PlannedTensor => ({ name, source, dims: [source.cols, source.rows], headRows });
  const norm = (name: string, source: string): PlannedTensor => {
    const rows = denseRows(weights, source, 'F32');
    return { name, source: rows, dims: [rows.cols] };
  };
  // Q4_0 holds what Quire holds: int4 matrices, and the embedding table Quire keeps in fp16 for its lookups.
  const embedding = weights.info('model.embed_tokens.weight').type === ONNX_TYPE.FLOAT16 && type === 'Q4_0' ? 'F16' : type;
  if (embedding === 'Q4_0') throw new QuireError('INTERNAL', 'the int4 embedding is fp16');
  const tensors = [matrix('token_embd.weight', denseRows(weights, 'model.embed_tokens.weight', embedding))];
  if (factors) {
    const bytes = new Uint8Array(factors.buffer, factors.byteOffset, factors.byteLength);
    tensors.push({ name: 'rope_freqs.weight', dims: [factors.length], source: { rows: 1, cols: factors.length, type: 'F32', rowBytes: bytes.byteLength, read: () => bytes } });
  }
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    const blk = `blk.${l}`;
    const qkv = `${p}.self_attn.qkv_proj`;
    const linear = (base: string, first?: number, rows?: number) => linearRows(weights, base, type, rounding, first, rows);
    tensors.push(
      norm(`${blk}.attn_norm.weight`, `${p}.input_layernorm.weight`),
      // Quire packs q, k and v into one matrix; llama.cpp wants them apart.
      matrix(`${blk}.attn_q.weight`, linear(qkv, 0, Hq * D), D),
      matrix(`${blk}.attn_k.weight`, linear(qkv, Hq * D, Hkv * D), D),
      matrix(`${blk}.attn_v.weight`, linear(qkv, (Hq + Hkv) * D, Hkv * D)),
      matrix(`${blk}.attn_output.weight`, linear(`${p}.self_attn.o_proj`)),
      norm(`${blk}.ffn_norm.weight`, `${p}.post_attention_layernorm.weight`),
      matrix(`${blk}.ffn_gate.weight`, linear(`${p}.mlp.gate_proj`)),
      matrix(`${blk}.ffn_up.weight`, linear(`${p}.mlp.up_proj`)),
      matrix(`${blk}.ffn_down.weight`, linear(`${p}.mlp.down_proj`)),
    );
  }
  tensors.push(norm('output_norm.weight', 'model.norm.weight'));
  // A tied float model has no lm_head (Quire and llama.cpp both reuse the embedding); an int4 one quantized its own.
  if (weights.has('lm_head.qweight') || weights.has('lm_head.weight')) tensors.push(matrix('output.weight', linearRows(weights, 'lm_head', type, rounding)));
  return tensors;
}

// The tensor's bytes in GGUF order, whole heads (q/k) or ~CHUNK_BYTES of rows at a time.
function* tensorChunks({ source, headRows }: PlannedTensor): Generator<Uint8Array> {
  const { rows, rowBytes } = source;
  const unit = headRows ?? 1;
  const step = Math.max(1, Math.floor(CHUNK_BYTES / (unit * rowBytes))) * unit;
  for (let start = 0; start < rows; start += step) {
    const count = Math.min(step, rows - start);
    const chunk = source.read(start, count);
    if (!headRows) {
      yield chunk;
      continue;
    }
    const out = new Uint8Array(chunk.byteLength);
    const half = headRows / 2;
    for (let head = 0; head < count / headRows; head++) {
      for (let i = 0; i < half; i++) {
        for (let j = 0; j < 2; j++) {
          const from = (head * headRows + j * half + i) * rowBytes;
          out.set(chunk.subarray(from, from + rowBytes), (head * headRows + 2 * i + j) * rowBytes);
        }
      }
    }
    yield out;
  }
}

// The GGUF type that holds a precision's weights as they are.
const OWN_TYPE: Record<Precision, GgufType> = { fp32: 'F32', fp16: 'F16', int4: 'Q4_0' };

// A file-system refusal of the output path (no such folder, a folder in the way, no permission) in one line;
// a full disk stays DISK_FULL (errors.ts).
function writable<T>(outPath: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code || isDiskFull(error)) throw error;
    throw new QuireError('INVALID_INPUT', `cannot write ${outPath} (${code})`);
  }
}

const padTo = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

// Writes a converted Quire model folder as GGUF: F32 or F16 from any precision (int4 dequantized), Q4_0 from an
// int4 model's own blocks. Written beside `outPath` and renamed into place, so a failed export leaves no file.
export async function exportGguf(modelDir: string, outPath: string, options: GgufExportOptions = {}): Promise<GgufExport> {
  const weights = new ModelWeights(modelDir);
  const staging = `${outPath}.${randomUUID().slice(0, 8)}.partial`;
  let fd: number | null = null;
  try {
    const { manifest } = weights;
    const type = options.type ?? OWN_TYPE[manifest.precision];
    if (type === 'Q4_0' && manifest.precision !== 'int4') {
      throw new QuireError('UNSUPPORTED_MODEL', `q4_0 is written from an int4 model's own blocks; ${modelDir} is ${manifest.precision} (export it as f16 or f32, or convert with --precision int4)`);
    }
    const cfg = manifest.config;
    const factors = ropeFactors(cfg.rope);
    const meta = new Metadata();
    meta.string('general.architecture', 'llama');
    meta.string('general.name', options.name ?? manifest.name);
    meta.u32('general.alignment', ALIGNMENT);
    meta.u32('general.file_type', GGML_TYPE[type].fileType);
    meta.u32('llama.context_length', cfg.maxPositionEmbeddings);
    meta.u32('llama.embedding_length', cfg.hiddenSize);
    meta.u32('llama.block_count', cfg.numLayers);
    meta.u32('llama.feed_forward_length', cfg.intermediateSize);
    meta.u32('llama.attention.head_count', cfg.numHeads);
    meta.u32('llama.attention.head_count_kv', cfg.numKvHeads);
    meta.u32('llama.attention.key_length', cfg.headDim);
    meta.u32('llama.attention.value_length', cfg.headDim);
    meta.f32('llama.attention.layer_norm_rms_epsilon', cfg.rmsNormEps);
    meta.u32('llama.vocab_size', cfg.vocabSize);
    writeRope(meta, cfg);
    await writeTokenizer(meta, modelDir, cfg.vocabSize);

    const rounding = new ScaleRounding();
    const tensors = planTensors(weights, type, factors, rounding);
    const infos = new Encoder();
    let offset = 0;
    const offsets: number[] = [];
    for (const t of tensors) {
      infos.string(t.name);
      infos.u32(t.dims.length);
      for (const dim of t.dims) infos.u64(dim);
      infos.u32(GGML_TYPE[t.source.type].id);
      infos.u64(offset);
      offsets.push(offset);
      offset = padTo(offset + t.source.rows * t.source.rowBytes);
    }
    const head = new Encoder();
    head.u32(MAGIC);
    head.u32(VERSION);
    head.u64(tensors.length);
    head.u64(meta.count);
    fd = writable(outPath, () => openSync(staging, 'w'));
    let position = 0;
    const write = (buf: Uint8Array) => {
      for (let done = 0; done < buf.byteLength; ) done += writeSync(fd!, buf, done, buf.byteLength - done);
      position += buf.byteLength;
    };
    const pad = (to: number) => write(new Uint8Array(to - position));
    write(head.bytes());
    write(meta.enc.bytes());
    write(infos.bytes());
    pad(padTo(position));
    const dataStart = position;
    for (const [i, t] of tensors.entries()) {
      pad(dataStart + offsets[i]);
      for (const chunk of tensorChunks(t)) write(chunk);
    }
    closeSync(fd);
    fd = null;
    writable(outPath, () => renameSync(staging, outPath));
    return { path: outPath, type, bytes: position, tensors: tensors.length, metadataKeys: meta.count, ropeFactors: factors, scaleRounding: type === 'Q4_0' ? rounding : null };
  } finally {
    if (fd !== null) closeSync(fd);
    rmSync(staging, { force: true });
    weights.close();
  }
}
