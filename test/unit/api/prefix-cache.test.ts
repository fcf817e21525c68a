import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_SNAPSHOT_FOLDER, PrefixCache } from '../../../electron/node/api/prefix-cache.ts';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { apiTinyModel } from './api-process.ts';

let session: EngineSession;
beforeAll(async () => {
  session = await EngineSession.load(await apiTinyModel(), { provider: 'cpu', context: 512 });
});
afterAll(() => session?.release());

const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => 3 + ((i * 31 + seed) % 200));

async function save(cache: PrefixCache, prompt: number[]): Promise<string> {
  const path = (await cache.pathFor(prompt))!;
  await session.sync(prompt);
  await session.saveSnapshot(path, prompt.length);
  await cache.saved(path, prompt);
  return path;
}

describe('PrefixCache', () => {
  it('finds the saved prompt sharing the longest prefix, also from a new instance as after a restart', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-prefix-'));
    const cache = new PrefixCache(root, 'model-a');
    const document = ids(120, 1);
    const short = await save(cache, [...document.slice(0, 40), ...ids(10, 2)]);
    const long = await save(cache, [...document, ...ids(10, 3)]);
    expect(short).not.toBe(long);
    // The same prompt again needs no second file.
    expect(await cache.pathFor([...document, ...ids(10, 3)])).toBeNull();

    const question = [...document, ...ids(12, 4)];
    const restarted = new PrefixCache(root, 'model-a');
    const match = await restarted.longestMatch(question);
    expect(match).toMatchObject({ path: long, common: 120 });
    expect(match!.tokens).toHaveLength(130);
    // Under a context too short for the longer snapshot, the shorter one is the best that can be restored.
    expect(await restarted.longestMatch(question, 100)).toMatchObject({ path: short, common: 40 });
    // Restoring it and syncing the question prefills only the question.
    await session.restoreSnapshot(match!.path);
    const before = session.prefilledTokens;
    await session.sync(question);
    expect(session.prefilledTokens - before).toBe(12);

    // Another model's snapshots in the same folder are never offered.
    expect(await new PrefixCache(root, 'model-b').longestMatch(question)).toBeNull();
    expect(await restarted.longestMatch(ids(20, 9))).toBeNull();
  });

  it('removes an unreadable file when it builds its index, and forgets a discarded one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-prefix-'));
    const cache = new PrefixCache(root, 'model-a');
    const path = await save(cache, ids(60, 5));
    const folder = join(root, 'snapshots', API_SNAPSHOT_FOLDER);
    const garbage = join(folder, `${path.split('/').pop()!.split('-')[0]}-garbage.qkv`);
    writeFileSync(garbage, 'not a snapshot');
    const restarted = new PrefixCache(root, 'model-a');
    expect((await restarted.longestMatch(ids(60, 5)))?.path).toBe(path);
    expect(existsSync(garbage)).toBe(false);
    await restarted.discard(path);
    expect(await restarted.longestMatch(ids(60, 5))).toBeNull();
    expect(readdirSync(folder)).toEqual([]);
  });
});
