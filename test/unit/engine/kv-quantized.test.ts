// int8/int4 KV caches (GroupQueryAttention's static per-channel scales, calibrated at conversion) on every
// engine path: same behaviour as a float cache, close logits, a quarter / an eighth of the bytes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { loadNativeAddon } from '../../../electron/node/engine/native-addon.ts';
import type { EnginePath } from '../../../electron/node/engine/backend.ts';
import { readManifest } from '../../../models/manifest.ts';
import { tinyModel } from './tiny-model.ts';
import { cosine, maxDiff } from '../logits.ts';

const CONTEXT = 256;
const PATHS: EnginePath[] = loadNativeAddon().ok ? ['native', 'onnxruntime-node'] : ['onnxruntime-node'];
const CHECKPOINT = { originalContext: 128, factor: 4 };
// Measured on the tiny random-weight model over 120 positions: int8 0.99993, int4 0.981 (both paths).
const MIN_COSINE = { int8: 0.999, int4: 0.97 } as const;
const SHRINK = { int8: 4, int4: 8 } as const;

const ids = Array.from({ length: 120 }, (_, i) => (i * 37 + 11) % 250);

let floatDir: string;
beforeAll(async () => {
  floatDir = await tinyModel(CHECKPOINT);
});

describe.each(['int8', 'int4'] as const)('%s KV cache', (kv) => {
  let dir: string;
  beforeAll(async () => {
    dir = await tinyModel(CHECKPOINT, { kv });
  });

  it('records its calibration and stores a fraction of the fp32 bytes per token', () => {
    const m = readManifest(dir);
    expect(m.kvDtype).toBe(kv);
    expect(m.kvBytesPerToken * SHRINK[kv]).toBe(readManifest(floatDir).kvBytesPerToken);
    expect(m.kvScales).toMatchObject({ method: expect.any(String), calibrationTokens: expect.any(Number) });
  });

  it.each(PATHS)('on the %s path: chunked = whole prefill, close to the fp32 cache, snapshots round-trip', async (path) => {
    const ref = await EngineSession.load(floatDir, { path, context: CONTEXT });
    const expected = await ref.prefill(ids, { allLogits: true });
    await ref.release();
    const s = await EngineSession.load(dir, { path, context: CONTEXT });
    try {
      expect(s.report.kvDtype).toBe(kv);
      const whole = await s.prefill(ids, { allLogits: true });
      const c = cosine(whole, expected);
      console.log(`${kv} KV, ${path}: cosine to the fp32 cache ${c.toFixed(5)}`);
      expect(c).toBeGreaterThan(MIN_COSINE[kv]);
      s.rewind(0);
      expect(maxDiff(await s.prefill(ids, { chunk: 13, allLogits: true }), whole)).toBeLessThan(1e-4);

      const file = join(mkdtempSync(join(tmpdir(), 'quire-kvq-')), 'doc.qkv');
      s.rewind(64);
      await s.saveSnapshot(file);
      const next = await s.prefill([1, 2, 3]);
      s.rewind(0);
      await s.prefill(ids.slice(30, 90)); // clobber the cache
      expect(await s.restoreSnapshot(file)).toBe(64);
      expect(maxDiff(await s.prefill([1, 2, 3]), next)).toBe(0);
    } finally {
      await s.release();
    }
  });
});
