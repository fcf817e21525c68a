import { createHash } from 'node:crypto';
import type { RopeConfig } from './hf-config.ts';

// RoPE frequencies and cos/sin tables computed the way Hugging Face transformers does (modeling_rope_utils.py):
// inverse frequencies in float32 arithmetic, angles t·θ rounded to float32 (HF multiplies in float32), and the
// attention factor folded into both cos and sin. Tables have d/2 columns, the rotate-half (non-interleaved)
// layout GroupQueryAttention's cos_cache/sin_cache expect.

const f32 = Math.fround;

export interface RopeFrequencies {
  rope_type: RopeConfig['rope_type'];
  invFreq: Float64Array; // d/2 values, each exactly a float32
  attentionFactor: number;
}

// θ_i = b^(−2i/d) with each torch float32 step rounded.
function baseFrequencies(rope: RopeConfig): { posFreqs: number[]; invFreq: number[] } {
  const dim = rope.head_dim;
  const posFreqs: number[] = [];
  for (let i = 0; i < dim; i += 2) posFreqs.push(f32(rope.rope_theta ** f32(i / dim)));
  return { posFreqs, invFreq: posFreqs.map((p) => f32(1 / p)) };
}

function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

// Dimension index (in 0..d) whose wavelength makes `rotations` full turns over the original context.
function correctionDim(rotations: number, dim: number, base: number, maxPos: number): number {
  return (dim * Math.log(maxPos / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
}

export function yarnRampRange(rope: RopeConfig): { low: number; high: number } {
  const dim = rope.head_dim;
  const original = rope.original_max_position_embeddings ?? rope.max_position_embeddings;
  let low = correctionDim(rope.beta_fast || 32, dim, rope.rope_theta, original);
  let high = correctionDim(rope.beta_slow || 1, dim, rope.rope_theta, original);
  if (rope.truncate ?? true) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  return { low: Math.max(low, 0), high: Math.min(high, dim - 1) };
}

export function yarnAttentionFactor(rope: RopeConfig): number {
  if (rope.attention_factor !== undefined) return rope.attention_factor;
  const factor = rope.factor ?? 1;
  if (rope.mscale && rope.mscale_all_dim) return yarnMscale(factor, rope.mscale) / yarnMscale(factor, rope.mscale_all_dim);
  return yarnMscale(factor);
}

export function ropeFrequencies(rope: RopeConfig): RopeFrequencies {
  const { posFreqs, invFreq } = baseFrequencies(rope);
  let out = invFreq;
  let attentionFactor = 1;
  if (rope.rope_type === 'linear') {
    const s = f32(rope.factor!);
    out = invFreq.map((v) => f32(v / s));
  } else if (rope.rope_type === 'llama3') {
    const factor = rope.factor!;
    const lowFactor = rope.low_freq_factor!;
    const highFactor = rope.high_freq_factor!;
    const oldContext = rope.original_max_position_embeddings!;
    const lowWavelen = oldContext / lowFactor;
    const highWavelen = oldContext / highFactor;
    out = invFreq.map((v) => {
      const wavelen = f32((2 * Math.PI) / v);
      if (wavelen < highWavelen) return v;
      if (wavelen > lowWavelen) return f32(v / factor);
      const smooth = f32((oldContext / wavelen - lowFactor) / (highFactor - lowFactor));
      return f32(f32((1 - smooth) * f32(v / factor)) + f32(smooth * v));
    });
  } else if (rope.rope_type === 'yarn') {
    const factor = rope.factor!;
    attentionFactor = yarnAttentionFactor(rope);
    const { low, high } = yarnRampRange(rope);
    const top = low === high ? high + 0.001 : high;
    out = posFreqs.map((p, i) => {
      const ramp = Math.min(1, Math.max(0, f32(f32(i - low) / f32(top - low))));
      const extrapolation = f32(1 - ramp); // weight of the unscaled frequency
      const interpolated = f32(1 / f32(factor * p));
      return f32(f32(interpolated * f32(1 - extrapolation)) + f32(invFreq[i] * extrapolation));
    });
  }
  return { rope_type: rope.rope_type, invFreq: Float64Array.from(out), attentionFactor };
}

export interface RopeTables {
  positions: number;
  halfDim: number;
  cos: Float32Array; // [positions, d/2] from position `from`, attention factor included
  sin: Float32Array;
}

// cos/sin of one position into `cos`/`sin` (d/2 values each, from `at`).
export function ropeRow(freqs: RopeFrequencies, position: number, cos: Float32Array, sin: Float32Array, at = 0): void {
  const m = f32(freqs.attentionFactor);
  const invFreq = freqs.invFreq;
  for (let i = 0; i < invFreq.length; i++) {
    const angle = f32(position * invFreq[i]);
    cos[at + i] = f32(Math.cos(angle)) * m;
    sin[at + i] = f32(Math.sin(angle)) * m;
  }
}

// cos/sin for positions from..from+positions−1; positions·d/2·8 bytes, written in place (no view or array per
// position). The engine asks for the rows of one step at a time (model-folder.ts ropeInputs).
export function ropeTables(freqs: RopeFrequencies, positions: number, from = 0): RopeTables {
  const half = freqs.invFreq.length;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let t = 0; t < positions; t++) ropeRow(freqs, from + t, cos, sin, t * half);
  return { positions, halfDim: half, cos, sin };
}

// Stable identity of the rotation a cached key went through: the parameters after defaults are resolved plus the
// resulting float32 frequencies, so two configs that spell the same RoPE differently hash alike.
export function ropeHash(rope: RopeConfig): string {
  const freqs = ropeFrequencies(rope);
  const header = JSON.stringify({ rope_type: rope.rope_type, head_dim: rope.head_dim, attention_factor: freqs.attentionFactor });
  const invFreq = new Float32Array(freqs.invFreq);
  return createHash('sha256').update(header).update(new Uint8Array(invFreq.buffer)).digest('hex');
}
