// A long read that is stopped (or whose process dies) reads on from its latest checkpoint, not from the start.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { PrefillCheckpoints } from '../../../electron/node/engine/prefill-checkpoints.ts';
import { PrefixStore } from '../../../electron/node/runtime/prefix-store.ts';
import { apiTinyModel } from '../api/api-process.ts';

let dir: string;
const sessions: EngineSession[] = [];
beforeAll(async () => {
  dir = await apiTinyModel();
});
afterAll(async () => {
  for (const s of sessions) await s.release();
});
const open = async () => {
  const s = await EngineSession.load(dir, { provider: 'cpu', context: 4096 });
  sessions.push(s);
  return s;
};
const document = Array.from({ length: 3000 }, (_, i) => 3 + ((i * 37) % 200));

describe('prefill checkpoints', () => {
  it('keep the newest checkpoint of a stopped read, and a new process reads on from it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-checkpoints-'));
    const store = new PrefixStore(root);
    const folder = dirname(store.path('m', 'any'));
    const first = await open();
    // A checkpoint at every chunk (the cost rule set aside), and a stop after the fourth.
    const checkpoints = new PrefillCheckpoints(first, folder, document.length, () => undefined, 0);
    const stop = new AbortController();
    await expect(
      first.prepare(document, { chunk: 256, signal: stop.signal, onChunk: checkpoints.onChunk, onProgress: (p) => p.done >= 1024 && stop.abort() }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    // Only the newest checkpoint stays.
    expect(checkpoints.latest).toMatchObject({ length: 1024 });
    expect(readdirSync(folder).filter((f) => f.endsWith('.qkv'))).toEqual([checkpoints.latest!.path.split('/').pop()]);

    // A new process: the store finds the checkpoint as a saved prefix, and only the rest is read.
    const second = await open();
    const match = await new PrefixStore(root).longestMatch('m', document, 4096);
    expect(match).toEqual({ path: checkpoints.latest!.path, common: 1024 });
    const prepared = await second.prepare(document, { restore: match!.path });
    expect(prepared).toMatchObject({ restored: match!.path, fromSnapshot: 1024, prefilled: document.length - 1024 });
    // The same cache as one read from the start.
    const whole = await open();
    await whole.prepare(document);
    expect(Array.from(await second.sync([...document, 7]))).toEqual(Array.from(await whole.sync([...document, 7])));
    // Once the whole prefix is saved, its checkpoint goes.
    await checkpoints.done();
    expect(existsSync(match!.path)).toBe(false);
  }, 120_000);
});
