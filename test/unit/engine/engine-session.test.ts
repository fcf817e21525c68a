import { pbkdf2 } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheCopiedOn, EngineSession, plannedCacheCopy } from '../../../electron/node/engine/engine-session.ts';
import { loadNativeAddon } from '../../../electron/node/engine/native-addon.ts';
import type { EnginePath } from '../../../electron/node/engine/backend.ts';
import { tinyModel } from './tiny-model.ts';
import { maxDiff } from '../logits.ts';

const CONTEXT = 512;
const native = loadNativeAddon();
const PATHS: EnginePath[] = native.ok ? ['native', 'onnxruntime-node'] : ['onnxruntime-node'];

function prompt(n: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => (i * 37 + seed * 11) % 250);
}

let dir: string;
beforeAll(async () => {
  dir = await tinyModel({ originalContext: 128, factor: 4 });
});

describe.each(PATHS)('engine session on the %s path', (path) => {
  let s: EngineSession;
  beforeAll(async () => {
    s = await EngineSession.load(dir, { path, context: CONTEXT });
  });
  afterAll(() => s.release());

  it('reports the path in use and the memory plan', () => {
    expect(s.report.path).toBe(path);
    expect(s.report.context).toBe(CONTEXT);
    expect(s.report.plan).toMatchObject({ fits: true, kvDtype: 'fp32', kvBytesPerToken: s.report.kvBytesPerToken });
    // onnxruntime-node's binding copies the cache out of every step: that path's plan holds a second one.
    expect(s.report.plan!.bytes.kvCopy).toBe(path === 'onnxruntime-node' ? s.report.plan!.bytes.kv : 0);
  });

  it('refuses a context that does not fit before allocating it', async () => {
    await expect(EngineSession.load(dir, { path, context: CONTEXT, availableBytes: 1024 * 1024 })).rejects.toMatchObject({
      code: 'DOES_NOT_FIT',
      message: expect.stringMatching(/weights alone|at most/),
    });
  });

  it('chunked prefill equals whole prefill, at every position', async () => {
    const ids = prompt(90);
    s.rewind(0);
    const whole = await s.prefill(ids, { allLogits: true });
    s.rewind(0);
    const chunked = await s.prefill(ids, { chunk: 13, allLogits: true });
    expect(maxDiff(whole, chunked)).toBeLessThan(1e-4);
    // The logits depend on the cache: dropping a prefix changes them.
    s.rewind(0);
    const shorter = await s.prefill(ids.slice(1));
    expect(maxDiff(shorter, whole.subarray(whole.length - s.vocabSize))).toBeGreaterThan(1e-3);
  });

  it('decoding with the in-place cache equals recomputation', async () => {
    const ids = prompt(30, 2);
    s.rewind(0);
    await s.prefill(ids);
    const decodeLogits: Float32Array[] = [];
    const generated: number[] = [];
    // Greedy decode, keeping the logits each step produced.
    let logits = await s.sync(ids);
    for (let i = 0; i < 12; i++) {
      const token = logits.indexOf(Math.max(...logits));
      generated.push(token);
      logits = await s.prefill([token]);
      decodeLogits.push(logits);
    }
    s.rewind(0);
    const all = await s.prefill([...ids, ...generated], { allLogits: true });
    const V = s.vocabSize;
    decodeLogits.forEach((step, i) => {
      const row = all.subarray((ids.length + i) * V, (ids.length + i + 1) * V);
      expect(maxDiff(step, row)).toBeLessThan(1e-4);
    });
    // generate() runs the same decode loop.
    s.rewind(0);
    await s.prefill(ids);
    expect(await s.generate({ maxNewTokens: 12, sampling: { greedy: true } })).toEqual(generated);
  });

  it('rewinds and reuses the cached prefix', async () => {
    const doc = prompt(120, 3);
    s.rewind(0);
    await s.sync(doc);
    const before = s.prefilledTokens;
    const first = await s.sync([...doc, 5, 6, 7]);
    expect(s.prefilledTokens - before).toBe(3);
    s.rewind(doc.length);
    const second = await s.sync([...doc, 8, 9]);
    expect(s.prefilledTokens - before).toBe(5);
    expect(maxDiff(first, second)).toBeGreaterThan(0);
  });

  it('cancels between chunks and resumes where it stopped', async () => {
    const ids = prompt(100, 4);
    s.rewind(0);
    const reference = await s.prefill(ids);
    s.rewind(0);
    const controller = new AbortController();
    await expect(
      s.prefill(ids, { chunk: 10, signal: controller.signal, onProgress: (p) => p.done >= 30 && controller.abort() }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(s.length).toBe(30);
    const resumed = await s.sync(ids);
    expect(maxDiff(resumed, reference)).toBeLessThan(1e-4);
  });

  it('cancels a step asked for just now, before its run has started', async () => {
    s.rewind(0);
    // The native run is queued for a libuv worker thread; a cancel before it starts must not be lost. Busy
    // workers (key derivations) hold the run in the queue, so the cancel surely comes before its start.
    const busy = Array.from({ length: 8 }, () => new Promise((done) => pbkdf2('quire', 'salt', 300_000, 32, 'sha256', done)));
    const step = s.backend.step(prompt(200, 6), 0, 1);
    s.backend.cancel();
    await expect(step).rejects.toMatchObject({ code: 'CANCELLED' });
    await Promise.all(busy);
    // The next step runs normally.
    expect((await s.backend.step(prompt(4, 6), 0, 1)).logits.length).toBeGreaterThan(0);
  });

  it('saves and restores a snapshot, refusing ones that do not fit', async () => {
    const doc = prompt(64, 5);
    const file = join(mkdtempSync(join(tmpdir(), 'quire-snap-')), 'doc', 'a.qkv');
    s.rewind(0);
    await s.prefill(doc);
    await s.saveSnapshot(file);
    const expected = await s.prefill([1, 2, 3]);
    s.rewind(0);
    await s.prefill(prompt(50, 9)); // clobber the cache
    expect(await s.restoreSnapshot(file)).toBe(doc.length);
    expect(Array.from(s.tokens)).toEqual(doc);
    const before = s.prefilledTokens;
    expect(maxDiff(await s.prefill([1, 2, 3]), expected)).toBeLessThan(1e-5);
    expect(s.prefilledTokens - before).toBe(3);
  });
});

describe.each(['fp16', 'int4'] as const)('%s models', (precision) => {
  it('run on every path with chunked prefill equal to whole prefill', async () => {
    const model = await tinyModel({ originalContext: 128, factor: 4 }, { precision });
    const ids = prompt(60, 7);
    const results: Float32Array[] = [];
    for (const path of PATHS) {
      const s = await EngineSession.load(model, { path, context: 128 });
      expect(s.report.kvDtype).toBe(precision === 'fp16' ? 'fp16' : 'fp32');
      const whole = await s.prefill(ids, { allLogits: true });
      s.rewind(0);
      expect(maxDiff(await s.prefill(ids, { chunk: 9, allLogits: true }), whole)).toBeLessThan(precision === 'fp16' ? 2e-2 : 1e-4);
      results.push(whole);
      await s.release();
    }
    if (results.length === 2) expect(maxDiff(results[0], results[1])).toBeLessThan(1e-3);
  });
});

describe.runIf(native.ok)('native path', () => {
  it('terminates a running step from the JS thread, keeping the cache as it was', async () => {
    const model = await tinyModel({ originalContext: 4096, factor: 8 });
    const s = await EngineSession.load(model, { path: 'native', context: 8192 });
    await s.prefill(prompt(10));
    const controller = new AbortController();
    // One chunk: there is no boundary to stop at, so CANCELLED can only come from terminating the run.
    const pending = s.prefill(prompt(8000), { chunk: 8000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(s.length).toBe(10);
    // The session stays usable.
    const after = await s.prefill([1, 2, 3]);
    expect(after).toHaveLength(s.vocabSize);
    await s.release();
  });
});

describe.runIf(native.ok)('native and onnxruntime-node paths', () => {
  it('give the same logits, and share snapshots', async () => {
    const a = await EngineSession.load(dir, { path: 'native', context: CONTEXT });
    const b = await EngineSession.load(dir, { path: 'onnxruntime-node', context: CONTEXT });
    const ids = prompt(70, 6);
    expect(maxDiff(await a.prefill(ids, { chunk: 16, allLogits: true }), await b.prefill(ids, { allLogits: true }))).toBeLessThan(1e-4);
    const file = join(mkdtempSync(join(tmpdir(), 'quire-snap-')), 'x.qkv');
    await a.saveSnapshot(file);
    b.rewind(0);
    await b.restoreSnapshot(file);
    expect(maxDiff(await a.prefill([4, 5]), await b.prefill([4, 5]))).toBeLessThan(1e-4);
    await a.release();
    await b.release();
  });
});

describe('the onnxruntime-node path', () => {
  it('is planned for wherever a session would run on it', () => {
    expect(cacheCopiedOn('cpu', 'onnxruntime-node')).toBe(true);
    expect(cacheCopiedOn('cpu', 'native', () => false)).toBe(false);
    expect(cacheCopiedOn('cpu', 'auto', () => false)).toBe(true);
    expect(cacheCopiedOn('webgpu', 'auto', () => false)).toBe(false);
    expect(plannedCacheCopy('cpu')).toBe(!native.ok);
    const before = process.env.QUIRE_ENGINE_PATH;
    process.env.QUIRE_ENGINE_PATH = 'onnxruntime-node';
    try {
      expect(plannedCacheCopy('cpu')).toBe(true);
    } finally {
      if (before === undefined) delete process.env.QUIRE_ENGINE_PATH;
      else process.env.QUIRE_ENGINE_PATH = before;
    }
  });

  it("frees the binding's copies of the cache at every step", async () => {
    const context = 32768;
    const s = await EngineSession.load(await tinyModel({ originalContext: 128, factor: 256 }), { path: 'onnxruntime-node', context });
    try {
      const cacheBytes = s.report.kvBytesPerToken * context;
      expect(cacheBytes).toBeGreaterThan(8e6);
      await s.prefill(prompt(8));
      const before = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < 4; i++) await s.prefill([i + 1]);
      // Kept until V8's next full collection, four steps' copies would hold four caches' worth.
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(cacheBytes / 2);
    } finally {
      s.release();
    }
  });
});

describe('documents', () => {
  it('restore from a snapshot, extend a shorter one, and replace a foreign one', async () => {
    const s = await EngineSession.load(dir, { context: CONTEXT });
    const folder = mkdtempSync(join(tmpdir(), 'quire-doc-'));
    const snapshot = join(folder, 'doc.qkv');
    const doc = prompt(80, 8);
    expect(await s.loadDocument(doc.slice(0, 50), snapshot)).toBe('prefill');
    expect(await s.loadDocument(doc.slice(0, 50), snapshot)).toBe('cache');
    s.rewind(0);
    let before = s.prefilledTokens;
    // The snapshot holds the first 50 tokens: only the other 30 are prefilled, and the snapshot grows.
    expect(await s.loadDocument(doc, snapshot)).toBe('snapshot');
    expect(s.prefilledTokens - before).toBe(30);
    s.rewind(0);
    before = s.prefilledTokens;
    expect(await s.loadDocument(doc, snapshot)).toBe('snapshot');
    expect(s.prefilledTokens - before).toBe(0);
    // Another document under the same path: its tokens differ, so it is prefilled and the snapshot replaced.
    const other = prompt(40, 9);
    expect(await s.loadDocument(other, snapshot)).toBe('prefill');
    s.rewind(0);
    expect(await s.loadDocument(other, snapshot)).toBe('snapshot');
    await s.release();
  });
});
