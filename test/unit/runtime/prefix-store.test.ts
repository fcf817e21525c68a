import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { prefixKey, PrefixStore } from '../../../electron/node/runtime/prefix-store.ts';
import { apiTinyModel } from '../api/api-process.ts';

let session: EngineSession;
beforeAll(async () => {
  session = await EngineSession.load(await apiTinyModel(), { provider: 'cpu', context: 512 });
});
afterAll(() => session?.release());

const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => 3 + ((i * 31 + seed) % 200));

// Saves `prompt`'s cache as the engine does at the end of an answer, and records it as the runtime does.
async function save(store: PrefixStore, modelId: string, prompt: number[], owners: string[] = []): Promise<string> {
  const path = store.path(modelId, prefixKey(prompt));
  await session.sync(prompt);
  await session.saveSnapshot(path, prompt.length);
  await store.saved(modelId, path, prompt, owners);
  return path;
}

describe('PrefixStore', () => {
  it('names a prefix by its tokens and model: the same prefix is one file whoever saves it', () => {
    const store = new PrefixStore(mkdtempSync(join(tmpdir(), 'quire-prefix-')));
    const a = store.path('nano', prefixKey([1, 2, 3]));
    expect(a).toMatch(/snapshots\/[0-9a-f]{16}\/[0-9a-f]{32}\.qkv$/);
    expect(store.path('nano', prefixKey([1, 2, 3]))).toBe(a);
    expect(store.path('other', prefixKey([1, 2, 3]))).not.toBe(a);
    expect(store.path('nano', prefixKey([1, 2, 4]))).not.toBe(a);
  });

  it('finds the saved prefix sharing the most tokens, also from a new instance as after a restart', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-prefix-'));
    const store = new PrefixStore(root);
    const document = ids(120, 1);
    const short = await save(store, 'model-a', [...document.slice(0, 40), ...ids(10, 2)]);
    const long = await save(store, 'model-a', [...document, ...ids(10, 3)]);
    expect(short).not.toBe(long);

    const question = [...document, ...ids(12, 4)];
    const restarted = new PrefixStore(root);
    const match = await restarted.longestMatch('model-a', question);
    expect(match).toEqual({ path: long, common: 120 });
    // Under a context too short for the longer prefix, the shorter one is the best that can be restored.
    expect(await restarted.longestMatch('model-a', question, 100)).toEqual({ path: short, common: 40 });
    // Restoring it and syncing the question prefills only the question.
    await session.restoreSnapshot(match!.path);
    const before = session.prefilledTokens;
    await session.sync(question);
    expect(session.prefilledTokens - before).toBe(12);

    // Another model's prefixes are never offered.
    expect(await new PrefixStore(root).longestMatch('model-b', question)).toBeNull();
    expect(await restarted.longestMatch('model-a', ids(20, 9))).toBeNull();
  });

  it("serves a document's prefix to an API prompt that starts with it, and an API prompt's to a question", async () => {
    const store = new PrefixStore(mkdtempSync(join(tmpdir(), 'quire-prefix-')));
    const document = ids(100, 7);
    // A question's save: the document prefix, owned by its document.
    const documentPrefix = await save(store, 'm', document, ['doc-a']);
    expect(await store.longestMatch('m', [...document, ...ids(30, 8)])).toEqual({ path: documentPrefix, common: 100 });
    // An API client's long prompt, saved whole; a question whose prompt starts with the same text restores it.
    const other = ids(90, 11);
    const apiPrompt = await save(store, 'm', [...other, ...ids(5, 12)]);
    expect(await store.longestMatch('m', [...other, ...ids(9, 13)])).toEqual({ path: apiPrompt, common: 90 });
  });

  it('deletes a document with every prefix made of it, and nothing else', async () => {
    const store = new PrefixStore(mkdtempSync(join(tmpdir(), 'quire-prefix-')));
    const own = await save(store, 'm', ids(30, 1), ['doc-a']);
    const withB = await save(store, 'm', ids(31, 2), ['doc-b', 'doc-a']);
    const others = await save(store, 'm', ids(32, 3), ['doc-b', 'doc-c']);
    const api = await save(store, 'm', ids(33, 4));
    store.removeDocument('doc-a');
    expect([own, withB].map(existsSync)).toEqual([false, false]);
    expect([others, api].map(existsSync)).toEqual([true, true]);
    expect(await store.longestMatch('m', ids(30, 1))).toBeNull();
    // A member list that cannot be read cannot be attributed: its prefix goes with any deletion.
    writeFileSync(`${others}.owners.json`, '{not json');
    store.removeDocument('doc-z');
    expect(existsSync(others)).toBe(false);
    expect(existsSync(api)).toBe(true);
  });

  it('removes an unreadable file when it builds its index, and forgets a discarded one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-prefix-'));
    const path = await save(new PrefixStore(root), 'model-a', ids(60, 5), ['doc-a']);
    const garbage = join(dirname(path), 'garbage.qkv');
    writeFileSync(garbage, 'not a snapshot');
    const restarted = new PrefixStore(root);
    expect((await restarted.longestMatch('model-a', ids(60, 5)))?.path).toBe(path);
    expect(existsSync(garbage)).toBe(false);
    await restarted.discard(path);
    expect(await restarted.longestMatch('model-a', ids(60, 5))).toBeNull();
    expect(readdirSync(dirname(path))).toEqual([]);
  });

  it('keeps all saved prefixes within one budget, least recently used first, sparing the one just saved', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-prefix-'));
    const first = await save(new PrefixStore(root), 'm', ids(40, 1), ['doc-a']);
    const store = new PrefixStore(root, Math.floor(statSync(first).size * 1.5));
    const second = await save(store, 'm', ids(41, 2));
    // Two do not fit: the older one goes, with its member list; the one just saved stays.
    expect(existsSync(first)).toBe(false);
    expect(existsSync(`${first}.owners.json`)).toBe(false);
    expect(existsSync(second)).toBe(true);
  });
});
