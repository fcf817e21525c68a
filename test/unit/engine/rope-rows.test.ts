import { beforeAll, describe, expect, it } from 'vitest';
import { openModelFolder, ropeInputs, type ModelFolder } from '../../../electron/node/engine/model-folder.ts';
import { float32ToHalfBits } from '../../../models/float16.ts';
import { ropeFrequencies } from '../../../models/rope.ts';
import { tinyModel } from './tiny-model.ts';

// The rows a step writes are the values the whole table held when it was computed at load: cos/sin of the
// float32 angle t·θ_i, rounded to float32, times the attention factor (the formula as it stood), bit for bit.
function reference(model: ModelFolder, position: number): { cos: number[]; sin: number[] } {
  const { invFreq, attentionFactor } = ropeFrequencies(model.manifest.config.rope);
  const m = Math.fround(attentionFactor);
  const angles = Array.from(invFreq, (f) => Math.fround(position * f));
  return { cos: angles.map((a) => Math.fround(Math.fround(Math.cos(a)) * m)), sin: angles.map((a) => Math.fround(Math.fround(Math.sin(a)) * m)) };
}

const POSITIONS = [0, 1, 2, 4095, 8191, 8192, 65_535, 131_071, 524_287, 1_048_000, 1_048_575];

let model: ModelFolder;
beforeAll(async () => {
  model = openModelFolder(await tinyModel({ originalContext: 8192, factor: 128 }));
}, 120_000);

describe('RoPE rows computed per step', () => {
  it('match the load-time formula bit for bit up to the last of 1M positions', () => {
    expect(model.manifest.config.maxPositionEmbeddings).toBe(1_048_576);
    const inputs = ropeInputs(model, 1_048_576);
    const half = inputs.dims[1];
    for (const p of POSITIONS) {
      // Alone and inside a run of rows (a prefill chunk ending there).
      const from = Math.max(0, p - 3);
      const run = inputs.rows(from, p - from + 1);
      const alone = inputs.rows(p, 1);
      const { cos, sin } = reference(model, p);
      expect(Array.from(alone.cos)).toEqual(cos);
      expect(Array.from(alone.sin)).toEqual(sin);
      expect(Array.from(run.cos.subarray((p - from) * half))).toEqual(cos);
      expect(Array.from(run.sin.subarray((p - from) * half))).toEqual(sin);
    }
  });

  it('are half floats of the same values for an fp16 graph', () => {
    const fp16 = { ...model, manifest: { ...model.manifest, ioDtype: 'fp16' as const } };
    const inputs = ropeInputs(fp16, 1_048_576);
    for (const p of POSITIONS) {
      const { cos, sin } = reference(model, p);
      const rows = inputs.rows(p, 1);
      expect(rows.cos).toBeInstanceOf(Uint16Array);
      expect(Array.from(rows.cos)).toEqual(cos.map(float32ToHalfBits));
      expect(Array.from(rows.sin)).toEqual(sin.map(float32ToHalfBits));
    }
  });

  it('refuses rows past the context', () => {
    expect(() => ropeInputs(model, 1024).rows(1020, 8)).toThrow(/exceed the 1024-token context/);
  });
});
