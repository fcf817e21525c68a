// Every conversion the app offers for the cpu target (conversionChoices: weight precision × activation dtype ×
// KV cache, which is where Settings' KV choices and the Models screen's precisions meet) converts a tiny
// checkpoint, loads in the engine on cpu, and gives last-position logits close to the float64 reference,
// within a tolerance set by its dtypes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { loadNativeAddon } from '../../../electron/node/engine/native-addon.ts';
import type { EnginePath } from '../../../electron/node/engine/backend.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { conversionChoices, USER_KV_DTYPES, PRECISIONS, type Conversion } from '../../../models/model-spec.ts';
import { readManifest } from '../../../models/manifest.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';
import { cosine, readCheckpointWeights, referenceLogits, type Config } from './reference-forward.ts';

const PATHS: EnginePath[] = loadNativeAddon().ok ? ['native', 'onnxruntime-node'] : ['onnxruntime-node'];
const CHOICES = conversionChoices({ provider: 'cpu' });
// 40 tokens: past the checkpoint's original context of 32, so the YaRN-scaled band is exercised.
const TOKENS = Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % 500);
const CONTEXT = 128;

// The most each axis may cost in cosine similarity to the reference; a combination gets the sum.
const COSINE_COST = {
  precision: { fp32: 1e-6, fp16: 2e-4, int4: 3e-2 },
  io: { fp32: 0, fp16: 2e-4 },
  kv: { fp32: 0, fp16: 2e-4, int8: 5e-4, int4: 2e-2 },
} as const;
const allowedCost = (c: Conversion) => COSINE_COST.precision[c.precision] + COSINE_COST.io[c.io] + COSINE_COST.kv[c.kv];
const label = (c: Conversion) => `${c.precision} weights, ${c.io} io, ${c.kv} cache`;

let root: string;
let hf: string;
let reference: number[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'quire-matrix-'));
  hf = join(root, 'hf');
  const config: Config = await writeTinyCheckpoint(hf, { rope: 'yarn', shards: 2, seed: 5 });
  reference = referenceLogits(config, readCheckpointWeights(hf), TOKENS).at(-1)!;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the conversions offered for cpu', () => {
  it('pair every weight precision and every KV choice Settings offers with something, including the default install', () => {
    for (const precision of PRECISIONS) expect(CHOICES.some((c) => c.precision === precision), `${precision} weights`).toBe(true);
    for (const kv of USER_KV_DTYPES) expect(CHOICES.some((c) => c.kv === kv), `a ${kv} cache`).toBe(true);
    // The Models screen's default install (int4 weights) with Settings' default cache (fp16).
    expect(CHOICES).toContainEqual({ precision: 'int4', io: 'fp16', kv: 'fp16' });
    // Every weight precision takes the quantized caches.
    for (const precision of PRECISIONS) for (const kv of ['int8', 'int4'] as const) expect(CHOICES.some((c) => c.precision === precision && c.kv === kv)).toBe(true);
  });
});

describe.each(CHOICES.map((c) => ({ ...c, name: label(c) })))('$name', (conversion) => {
  let dir: string;
  beforeAll(async () => {
    dir = join(root, `${conversion.precision}-${conversion.io}-${conversion.kv}`);
    await convertCheckpoint(hf, dir, { ...conversion, context: CONTEXT });
  });

  it('converts with its dtypes recorded', () => {
    expect(readManifest(dir)).toMatchObject({ precision: conversion.precision, ioDtype: conversion.io, kvDtype: conversion.kv, contextTokens: CONTEXT });
  });

  it.each(PATHS)('loads on cpu (%s path) and matches the float64 reference', async (path) => {
    const session = await EngineSession.load(dir, { provider: 'cpu', path, context: CONTEXT });
    try {
      expect(session.report).toMatchObject({ provider: 'cpu', path });
      const logits = await session.prefill(TOKENS);
      expect(logits.length).toBe(reference.length);
      expect(logits.every(Number.isFinite)).toBe(true);
      const similarity = cosine(Array.from(logits), reference);
      console.log(`[matrix] ${label(conversion)} on ${path}: cosine ${similarity.toFixed(6)} (allowed ${(1 - allowedCost(conversion)).toFixed(6)})`);
      expect(similarity).toBeGreaterThan(1 - allowedCost(conversion));
      if (conversion.precision === 'fp32' && conversion.kv === 'fp32') {
        let worst = 0;
        for (let v = 0; v < reference.length; v++) worst = Math.max(worst, Math.abs(logits[v] - reference[v]));
        expect(worst).toBeLessThan(2e-4);
      }
    } finally {
      await session.release();
    }
  });
});
