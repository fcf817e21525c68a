import { readFileSync } from 'node:fs';
import { QuireError } from '../electron/common/errors.ts';

// RoPE parameters as Hugging Face stores them (`rope_scaling`, or `rope_parameters` in transformers ≥ 5), with
// the model-level fields RoPE depends on folded in.
export interface RopeConfig {
  rope_type: 'default' | 'linear' | 'llama3' | 'yarn';
  rope_theta: number;
  head_dim: number;
  max_position_embeddings: number;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
  attention_factor?: number;
  beta_fast?: number;
  beta_slow?: number;
  mscale?: number;
  mscale_all_dim?: number;
  truncate?: boolean;
}

export interface LlamaConfig {
  architecture: 'LlamaForCausalLM';
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  maxPositionEmbeddings: number;
  rope: RopeConfig;
}

const ROPE_TYPES = ['default', 'linear', 'llama3', 'yarn'] as const;

type Json = Record<string, unknown>;

function num(raw: Json, key: string, where = 'config.json'): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new QuireError('UNSUPPORTED_MODEL', `${where}: "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function optNum(raw: Json, key: string, where: string): number | undefined {
  return raw[key] === undefined || raw[key] === null ? undefined : num(raw, key, where);
}

function positiveInt(raw: Json, key: string): number {
  const v = num(raw, key);
  if (!Number.isInteger(v) || v <= 0) throw new QuireError('UNSUPPORTED_MODEL', `config.json: "${key}" must be a positive integer, got ${v}`);
  return v;
}

export function parseRopeConfig(raw: Json, headDim: number): RopeConfig {
  const scaling = (raw.rope_parameters ?? raw.rope_scaling ?? null) as Json | null;
  const where = raw.rope_parameters ? 'rope_parameters' : 'rope_scaling';
  const theta = scaling && typeof scaling.rope_theta === 'number' ? scaling.rope_theta : num(raw, 'rope_theta');
  const maxPos = positiveInt(raw, 'max_position_embeddings');
  const partial = raw.partial_rotary_factor ?? scaling?.partial_rotary_factor ?? 1;
  if (partial !== 1) throw new QuireError('UNSUPPORTED_MODEL', `partial_rotary_factor ${String(partial)} is not supported (only full rotary)`);
  const base: RopeConfig = { rope_type: 'default', rope_theta: theta, head_dim: headDim, max_position_embeddings: maxPos };
  if (!scaling) {
    checkRopeRanges(base, where);
    return base;
  }
  const type = String(scaling.rope_type ?? scaling.type ?? 'default');
  if (!(ROPE_TYPES as readonly string[]).includes(type)) {
    throw new QuireError('UNSUPPORTED_MODEL', `${where}: rope_type "${type}" is not supported (supported: ${ROPE_TYPES.join(', ')})`);
  }
  const rope: RopeConfig = { ...base, rope_type: type as RopeConfig['rope_type'] };
  for (const key of ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings', 'attention_factor', 'beta_fast', 'beta_slow', 'mscale', 'mscale_all_dim'] as const) {
    const v = optNum(scaling, key, where);
    if (v !== undefined) rope[key] = v;
  }
  if (scaling.truncate !== undefined) rope.truncate = Boolean(scaling.truncate);
  const need = (keys: (keyof RopeConfig)[]) => {
    for (const k of keys) if (rope[k] === undefined) throw new QuireError('UNSUPPORTED_MODEL', `${where}: ${type} RoPE needs "${k}"`);
  };
  if (type === 'linear') need(['factor']);
  if (type === 'llama3') need(['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings']);
  // transformers derives a missing yarn factor from the two context lengths; keep that rule explicit here.
  if (type === 'yarn' && rope.factor === undefined) {
    if (rope.original_max_position_embeddings === undefined) need(['factor']);
    else rope.factor = maxPos / rope.original_max_position_embeddings;
  }
  checkRopeRanges(rope, where);
  return rope;
}

// Bounds no real model comes near; past them a config is damaged or hostile. A base of 0 makes the inverse
// frequencies 0^-x = Infinity, a factor of 1e300 makes them 0, and either would convert "successfully" into
// a model that answers garbage, so they are refused before anything is written.
const ROPE_THETA_MAX = 1e12;
const ROPE_FACTOR_MAX = 65_536;
const ROPE_SMALL_MAX = 1e4;

function inRange(value: number, key: string, where: string, low: number, high: number, lowOpen: boolean): void {
  const ok = Number.isFinite(value) && (lowOpen ? value > low : value >= low) && value <= high;
  if (!ok) throw new QuireError('INVALID_INPUT', `${where}: ${key} must be ${lowOpen ? 'above' : 'at least'} ${low} and at most ${high}, got ${value}`);
}

function checkRopeRanges(rope: RopeConfig, where: string): void {
  inRange(rope.rope_theta, 'rope_theta', 'config.json', 1, ROPE_THETA_MAX, true);
  if (rope.factor !== undefined) inRange(rope.factor, 'factor', where, 1, ROPE_FACTOR_MAX, false);
  if (rope.low_freq_factor !== undefined) inRange(rope.low_freq_factor, 'low_freq_factor', where, 0, ROPE_SMALL_MAX, true);
  if (rope.high_freq_factor !== undefined) inRange(rope.high_freq_factor, 'high_freq_factor', where, 0, ROPE_SMALL_MAX, true);
  if (rope.rope_type === 'llama3' && rope.high_freq_factor! <= rope.low_freq_factor!) {
    throw new QuireError('INVALID_INPUT', `${where}: high_freq_factor (${rope.high_freq_factor}) must be above low_freq_factor (${rope.low_freq_factor})`);
  }
  const original = rope.original_max_position_embeddings;
  if (original !== undefined && (!Number.isInteger(original) || original < 1 || original > rope.max_position_embeddings)) {
    throw new QuireError('INVALID_INPUT', `${where}: original_max_position_embeddings must be a whole number from 1 to max_position_embeddings (${rope.max_position_embeddings}), got ${original}`);
  }
  if (rope.attention_factor !== undefined) inRange(rope.attention_factor, 'attention_factor', where, 0, 100, true);
  if (rope.beta_fast !== undefined) inRange(rope.beta_fast, 'beta_fast', where, 0, ROPE_SMALL_MAX, true);
  if (rope.beta_slow !== undefined) inRange(rope.beta_slow, 'beta_slow', where, 0, ROPE_SMALL_MAX, true);
  if (rope.mscale !== undefined) inRange(rope.mscale, 'mscale', where, 0, 100, false);
  if (rope.mscale_all_dim !== undefined) inRange(rope.mscale_all_dim, 'mscale_all_dim', where, 0, 100, false);
}

// Reads a Hugging Face LlamaForCausalLM config.json and refuses anything the Llama graph cannot express.
export function parseLlamaConfig(raw: Json): LlamaConfig {
  const archs = Array.isArray(raw.architectures) ? raw.architectures.map(String) : [];
  if (raw.model_type !== 'llama' || (archs.length > 0 && !archs.includes('LlamaForCausalLM'))) {
    throw new QuireError('UNSUPPORTED_MODEL', `only LlamaForCausalLM is supported, got model_type "${String(raw.model_type)}" architectures [${archs.join(', ')}]`);
  }
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') throw new QuireError('UNSUPPORTED_MODEL', `hidden_act "${String(act)}" is not supported (only silu)`);
  if (raw.attention_bias === true || raw.mlp_bias === true) throw new QuireError('UNSUPPORTED_MODEL', 'attention_bias/mlp_bias are not supported');
  const hiddenSize = positiveInt(raw, 'hidden_size');
  const numHeads = positiveInt(raw, 'num_attention_heads');
  const numKvHeads = raw.num_key_value_heads === undefined ? numHeads : positiveInt(raw, 'num_key_value_heads');
  if (numHeads % numKvHeads !== 0) throw new QuireError('UNSUPPORTED_MODEL', `num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  const headDim = raw.head_dim === undefined || raw.head_dim === null ? hiddenSize / numHeads : positiveInt(raw, 'head_dim');
  // GroupQueryAttention's rotary kernels want head_dim a multiple of 16 (so d/2 is a multiple of 8).
  if (!Number.isInteger(headDim) || headDim % 16 !== 0) throw new QuireError('UNSUPPORTED_MODEL', `head_dim ${headDim} must be a multiple of 16`);
  const eos = raw.eos_token_id;
  const eosTokenIds = Array.isArray(eos) ? eos.map(Number) : typeof eos === 'number' ? [eos] : [];
  return {
    architecture: 'LlamaForCausalLM',
    hiddenSize,
    intermediateSize: positiveInt(raw, 'intermediate_size'),
    numLayers: positiveInt(raw, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: positiveInt(raw, 'vocab_size'),
    rmsNormEps: num(raw, 'rms_norm_eps'),
    tieWordEmbeddings: raw.tie_word_embeddings === true,
    bosTokenId: typeof raw.bos_token_id === 'number' ? raw.bos_token_id : null,
    eosTokenIds,
    maxPositionEmbeddings: positiveInt(raw, 'max_position_embeddings'),
    rope: parseRopeConfig(raw, headDim),
  };
}

export function readJsonFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new QuireError('NOT_FOUND', `cannot read ${path}`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new QuireError('INVALID_INPUT', `${path} is not valid JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}

export function readLlamaConfig(path: string): LlamaConfig {
  return parseLlamaConfig(readJsonFile(path));
}
