import { describe, expect, it } from 'vitest';
import type { RopeConfig } from '../../../models/hf-config.ts';
import { parseRopeConfig } from '../../../models/hf-config.ts';
import { ropeFrequencies, ropeHash, ropeTables, yarnAttentionFactor, yarnRampRange } from '../../../models/rope.ts';

const ultraLong: RopeConfig = {
  rope_type: 'yarn', rope_theta: 500000, head_dim: 128, max_position_embeddings: 1048576,
  factor: 128, original_max_position_embeddings: 8192, beta_fast: 4, beta_slow: 1,
};

// Float64 re-derivations written from the papers' formulas, not from rope.ts.
function llama3Reference(d: number, b: number, s: number, lo: number, hi: number, L: number): number[] {
  return Array.from({ length: d / 2 }, (_, i) => {
    const f = b ** (-(2 * i) / d);
    const wavelength = (2 * Math.PI) / f;
    if (wavelength < L / hi) return f;
    if (wavelength > L / lo) return f / s;
    const smooth = (L / wavelength - lo) / (hi - lo);
    return (1 - smooth) * (f / s) + smooth * f;
  });
}

function yarnReference(d: number, b: number, s: number, L: number, betaFast: number, betaSlow: number): number[] {
  const dimOf = (r: number) => (d * Math.log(L / (2 * Math.PI * r))) / (2 * Math.log(b));
  const low = Math.max(0, Math.floor(dimOf(betaFast)));
  const high = Math.min(d - 1, Math.ceil(dimOf(betaSlow)));
  return Array.from({ length: d / 2 }, (_, i) => {
    const f = b ** (-(2 * i) / d);
    const gamma = Math.min(1, Math.max(0, (i - low) / (high - low)));
    return f * (1 - gamma) + (f / s) * gamma;
  });
}

describe('rope', () => {
  it('reproduces the DESIGN worked numbers for UltraLong-1M', () => {
    expect(yarnRampRange(ultraLong)).toEqual({ low: 28, high: 35 });
    expect(yarnAttentionFactor(ultraLong)).toBeCloseTo(1.485, 3);
    expect(yarnAttentionFactor({ ...ultraLong, factor: 256 })).toBeCloseTo(1.5545, 4);
  });

  it('yarn inverse frequencies match a float64 derivation to float32 precision', () => {
    const got = ropeFrequencies(ultraLong).invFreq;
    const want = yarnReference(128, 500000, 128, 8192, 4, 1);
    for (let i = 0; i < 64; i++) expect(Math.abs(got[i] - want[i]) / want[i]).toBeLessThan(1e-6);
    // below the ramp frequencies are untouched, above it divided by the full factor
    expect(got[10] / (500000 ** (-20 / 128))).toBeCloseTo(1, 5);
    expect(got[50] / (500000 ** (-100 / 128) / 128)).toBeCloseTo(1, 5);
  });

  it('llama3 inverse frequencies match a float64 derivation', () => {
    const rope: RopeConfig = { rope_type: 'llama3', rope_theta: 500000, head_dim: 128, max_position_embeddings: 131072, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    const got = ropeFrequencies(rope);
    const want = llama3Reference(128, 500000, 8, 1, 4, 8192);
    for (let i = 0; i < 64; i++) expect(Math.abs(got.invFreq[i] - want[i]) / want[i]).toBeLessThan(1e-6);
    expect(got.attentionFactor).toBe(1);
  });

  it('mscale variants and explicit attention_factor follow transformers', () => {
    const g = (s: number, m: number) => 0.1 * m * Math.log(s) + 1;
    expect(yarnAttentionFactor({ ...ultraLong, mscale: 0.707, mscale_all_dim: 0.707 })).toBe(1);
    expect(yarnAttentionFactor({ ...ultraLong, mscale: 1, mscale_all_dim: 0.5 })).toBeCloseTo(g(128, 1) / g(128, 0.5), 12);
    expect(yarnAttentionFactor({ ...ultraLong, attention_factor: 0.9 })).toBe(0.9);
    expect(yarnAttentionFactor({ ...ultraLong, factor: 1 })).toBe(1);
  });

  it('truncate=false keeps the fractional ramp ends', () => {
    const { low, high } = yarnRampRange({ ...ultraLong, truncate: false });
    expect(low).toBeCloseTo((128 * Math.log(8192 / (2 * Math.PI * 4))) / (2 * Math.log(500000)), 10);
    expect(high).toBeCloseTo((128 * Math.log(8192 / (2 * Math.PI))) / (2 * Math.log(500000)), 10);
  });

  it('tables carry the attention factor on both cos and sin', () => {
    const f = ropeFrequencies(ultraLong);
    const t = ropeTables(f, 3000);
    const m = 0.1 * Math.log(128) + 1;
    for (const [pos, i] of [[0, 0], [1, 0], [2999, 5], [2999, 40], [1234, 63]]) {
      // transformers multiplies position by frequency in float32; the rounding is part of what the model saw
      const angle = Math.fround(pos * f.invFreq[i]);
      expect(t.cos[pos * 64 + i]).toBeCloseTo(Math.cos(angle) * m, 6);
      expect(t.sin[pos * 64 + i]).toBeCloseTo(Math.sin(angle) * m, 6);
      expect(Math.hypot(t.cos[pos * 64 + i], t.sin[pos * 64 + i])).toBeCloseTo(m, 6);
    }
  });

  it('hashes equal RoPE alike and different RoPE apart', () => {
    const fromConfig = parseRopeConfig({ rope_theta: 500000, max_position_embeddings: 1048576, rope_scaling: { type: 'yarn', factor: 128, original_max_position_embeddings: 8192, beta_fast: 4, beta_slow: 1 } }, 128);
    expect(ropeHash(fromConfig)).toBe(ropeHash(ultraLong));
    expect(ropeHash({ ...ultraLong, factor: 256 })).not.toBe(ropeHash(ultraLong));
    expect(ropeHash({ ...ultraLong, beta_fast: 32 })).not.toBe(ropeHash(ultraLong));
    expect(ropeHash(ultraLong)).toMatch(/^[0-9a-f]{64}$/);
  });
});
