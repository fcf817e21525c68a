import { closeSync, openSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { QuireError } from '../electron/common/errors.ts';
import { chatTemplateFromConfig } from './chat-template.ts';
import { float32ToHalf } from './float16.ts';
import { readJsonFile, readLlamaConfig, type LlamaConfig, type RopeConfig } from './hf-config.ts';
import { ropeFrequencies } from './rope.ts';
import { Checkpoint } from './safetensors.ts';
import { LLAMA3_SPLIT_PATTERN } from './tokenizer/pretokenizer.ts';
import { loadTokenizer, splitPatternOf, type TokenizerConfigJson, type TokenizerJson } from './tokenizer/tokenizer.ts';

// Exports a Hugging Face LlamaForCausalLM checkpoint as a GGUF v3 file that llama.cpp (node-llama-cpp) runs, so
// benchmarks compare both engines on the very same weights. Tensors stream from the safetensors reader one
// row chunk at a time: memory stays near the chunk size whatever the checkpoint size.
//
// Three things differ from the Hugging Face layout:
// - llama.cpp's `llama` architecture rotates adjacent pairs (x0,x1),(x2,x3)…; HF rotates the two halves of a
//   head. Rows of q_proj/k_proj are interleaved within each head (row h·d + 2i + j ← h·d + j·d/2 + i) so both
//   rotations pair the same features.
// - llama.cpp (at the version node-llama-cpp 3.22 ships) reads no YaRN beta keys for `llama` (it ramps with
//   beta_fast 32, beta_slow 1, always floored/ceiled) and recomputes the YaRN attention factor itself as
//   0.1·ln(factor) + 1, ignoring `yarn_attn_factor`. The rope_freqs tensor (a per-pair divisor of the base
//   frequency, the way llama.cpp already expresses Llama-3.1 RoPE) absorbs any difference between what
//   llama.cpp computes from the keys and the checkpoint's true frequencies, and `rope.scaling.attn_factor`
//   carries an explicit attention factor as a ratio to llama.cpp's own.
// - norms and rope_freqs stay F32 at either dtype, as llama.cpp's converter keeps them.

export type GgufDtype = 'F32' | 'F16';

export interface GgufExportOptions {
  dtype?: GgufDtype;
  name?: string;
}

export interface GgufExport {
  path: string;
  tensors: number;
  metadataKeys: number;
  // rope_freqs factors written (null when llama.cpp's own rotation already equals the checkpoint's).
  ropeFactors: Float32Array | null;
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const VERSION = 3;
const ALIGNMENT = 32;
const VALUE = { U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
const GGML_TYPE: Record<GgufDtype, number> = { F32: 0, F16: 1 };
const FILE_TYPE: Record<GgufDtype, number> = { F32: 0, F16: 1 }; // LLAMA_FTYPE_ALL_F32, LLAMA_FTYPE_MOSTLY_F16
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

interface PlannedTensor {
  name: string;
  shape: number[]; // row-major, as in the checkpoint
  dtype: GgufDtype;
  // float32 rows in order, any chunking
  rows: () => Iterable<Float32Array>;
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

// HF q_proj/k_proj rows (rotate-half per head) → llama.cpp's adjacent-pair order, one whole-head chunk at a time.
function* interleavedHeads(checkpoint: Checkpoint, name: string, headDim: number): Generator<Float32Array> {
  const cols = checkpoint.info(name).shape[1];
  const headBytes = headDim * cols * 4;
  const out = new Float32Array(Math.max(1, Math.floor(CHUNK_BYTES / headBytes)) * headDim * cols);
  const half = headDim / 2;
  for (const chunk of checkpoint.rows(name, Math.max(1, Math.floor(CHUNK_BYTES / headBytes)) * headBytes)) {
    for (let head = 0; head < chunk.rows / headDim; head++) {
      for (let i = 0; i < half; i++) {
        for (let j = 0; j < 2; j++) {
          const from = (head * headDim + j * half + i) * cols;
          out.set(chunk.data.subarray(from, from + cols), (head * headDim + 2 * i + j) * cols);
        }
      }
    }
    yield out.subarray(0, chunk.data.length);
  }
}

function planTensors(checkpoint: Checkpoint, cfg: LlamaConfig, dtype: GgufDtype, factors: Float32Array | null): PlannedTensor[] {
  const plain = (name: string, source: string, as: GgufDtype = dtype): PlannedTensor => ({
    name,
    shape: checkpoint.info(source).shape,
    dtype: as,
    rows: function* () {
      for (const chunk of checkpoint.rows(source, CHUNK_BYTES)) yield chunk.data;
    },
  });
  const rotated = (name: string, source: string): PlannedTensor => ({
    name,
    shape: checkpoint.info(source).shape,
    dtype,
    rows: () => interleavedHeads(checkpoint, source, cfg.headDim),
  });
  const tensors = [plain('token_embd.weight', 'model.embed_tokens.weight')];
  if (factors) tensors.push({ name: 'rope_freqs.weight', shape: [factors.length], dtype: 'F32', rows: () => [factors] });
  for (let l = 0; l < cfg.numLayers; l++) {
    const hf = `model.layers.${l}`;
    const blk = `blk.${l}`;
    tensors.push(
      plain(`${blk}.attn_norm.weight`, `${hf}.input_layernorm.weight`, 'F32'),
      rotated(`${blk}.attn_q.weight`, `${hf}.self_attn.q_proj.weight`),
      rotated(`${blk}.attn_k.weight`, `${hf}.self_attn.k_proj.weight`),
      plain(`${blk}.attn_v.weight`, `${hf}.self_attn.v_proj.weight`),
      plain(`${blk}.attn_output.weight`, `${hf}.self_attn.o_proj.weight`),
      plain(`${blk}.ffn_norm.weight`, `${hf}.post_attention_layernorm.weight`, 'F32'),
      plain(`${blk}.ffn_gate.weight`, `${hf}.mlp.gate_proj.weight`),
      plain(`${blk}.ffn_up.weight`, `${hf}.mlp.up_proj.weight`),
      plain(`${blk}.ffn_down.weight`, `${hf}.mlp.down_proj.weight`),
    );
  }
  tensors.push(plain('output_norm.weight', 'model.norm.weight', 'F32'));
  // Tied checkpoints have no lm_head; llama.cpp then reuses token_embd.
  if (!cfg.tieWordEmbeddings) tensors.push(plain('output.weight', 'lm_head.weight'));
  return tensors;
}

const padTo = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;
const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export async function exportGguf(hfDir: string, outPath: string, options: GgufExportOptions = {}): Promise<GgufExport> {
  const dtype = options.dtype ?? 'F16';
  const cfg = readLlamaConfig(join(hfDir, 'config.json'));
  const factors = ropeFactors(cfg.rope);
  const meta = new Metadata();
  meta.string('general.architecture', 'llama');
  meta.string('general.name', options.name ?? basename(resolve(hfDir)));
  meta.u32('general.alignment', ALIGNMENT);
  meta.u32('general.file_type', FILE_TYPE[dtype]);
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
  await writeTokenizer(meta, hfDir, cfg.vocabSize);

  const checkpoint = new Checkpoint(hfDir);
  const fd = openSync(outPath, 'w');
  try {
    const tensors = planTensors(checkpoint, cfg, dtype, factors);
    const infos = new Encoder();
    let offset = 0;
    const offsets: number[] = [];
    for (const t of tensors) {
      infos.string(t.name);
      infos.u32(t.shape.length);
      for (const dim of [...t.shape].reverse()) infos.u64(dim); // ggml lists the fastest-varying dimension first
      infos.u32(GGML_TYPE[t.dtype]);
      infos.u64(offset);
      offsets.push(offset);
      offset = padTo(offset + elements(t.shape) * (t.dtype === 'F32' ? 4 : 2));
    }
    const head = new Encoder();
    head.u32(MAGIC);
    head.u32(VERSION);
    head.u64(tensors.length);
    head.u64(meta.count);
    let position = 0;
    const write = (buf: Uint8Array) => {
      for (let done = 0; done < buf.byteLength; ) done += writeSync(fd, buf, done, buf.byteLength - done);
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
      let written = 0;
      for (const rows of t.rows()) {
        write(t.dtype === 'F32' ? new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength) : new Uint8Array(float32ToHalf(rows).buffer));
        written += rows.length;
      }
      if (written !== elements(t.shape)) throw new QuireError('CORRUPT', `${t.name}: read ${written} values, its shape holds ${elements(t.shape)}`);
    }
    return { path: outPath, tensors: tensors.length, metadataKeys: meta.count, ropeFactors: factors };
  } finally {
    closeSync(fd);
    checkpoint.close();
  }
}
