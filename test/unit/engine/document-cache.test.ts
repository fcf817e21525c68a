import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import { DocumentCache, LiveCache, SNAPSHOT_BUDGET_BYTES } from '../../../electron/node/engine/document-cache.ts';
import type { EngineHost } from '../../../electron/node/engine/engine-host.ts';

function saved(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'x');
  return path;
}

describe('DocumentCache', () => {
  it('names one file per document set, model and prefix, under the snapshots folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-cache-'));
    const cache = new DocumentCache(root);
    const one = cache.target({ documentIds: ['doc-a'], modelId: 'nano', prefix: [1, 2, 3] });
    expect(one).toEqual({ snapshot: expect.stringMatching(/snapshots\/doc-a\/[0-9a-f]{24}\.qkv$/), snapshotsRoot: join(root, 'snapshots'), budgetBytes: SNAPSHOT_BUDGET_BYTES });
    expect(cache.target({ documentIds: ['doc-a'], modelId: 'nano', prefix: [1, 2, 3] }).snapshot).toBe(one.snapshot);
    expect(cache.target({ documentIds: ['doc-a'], modelId: 'other', prefix: [1, 2, 3] }).snapshot).not.toBe(one.snapshot);
    expect(cache.target({ documentIds: ['doc-a'], modelId: 'nano', prefix: [1, 2, 4] }).snapshot).not.toBe(one.snapshot);
    const set = cache.target({ documentIds: ['doc-a', 'doc-b'], modelId: 'nano', prefix: [1, 2, 3] });
    expect(set.snapshot).toMatch(/snapshots\/set-[0-9a-f]{24}\/[0-9a-f]{24}\.qkv$/);
    expect(JSON.parse(readFileSync(join(dirname(set.snapshot), 'documents.json'), 'utf8'))).toEqual(['doc-a', 'doc-b']);
    expect(new DocumentCache(root, 5).target({ documentIds: ['doc-a'], modelId: 'nano', prefix: [] }).budgetBytes).toBe(5);
  });

  it('refuses ids that are not plain names, with one code', () => {
    const cache = new DocumentCache(mkdtempSync(join(tmpdir(), 'quire-cache-')));
    for (const id of ['../x', 'a/b', '', '.', 'x'.repeat(65)]) {
      expect(() => cache.target({ documentIds: [id], modelId: 'm', prefix: [] })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
    expect(() => cache.target({ documentIds: [], modelId: 'm', prefix: [] })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('deletes a document with every snapshot that holds it, and nothing else', () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-cache-'));
    const cache = new DocumentCache(root);
    const own = saved(cache.target({ documentIds: ['doc-a'], modelId: 'm', prefix: [1] }).snapshot);
    const withB = saved(cache.target({ documentIds: ['doc-b', 'doc-a'], modelId: 'm', prefix: [1] }).snapshot);
    const others = saved(cache.target({ documentIds: ['doc-b', 'doc-c'], modelId: 'm', prefix: [1] }).snapshot);
    const b = saved(cache.target({ documentIds: ['doc-b'], modelId: 'm', prefix: [1] }).snapshot);
    cache.removeDocument('doc-a');
    expect([own, withB].map(existsSync)).toEqual([false, false]);
    expect([others, b].map(existsSync)).toEqual([true, true]);
    // Ids that could escape the folder are ignored.
    cache.removeDocument('..');
    expect(existsSync(root)).toBe(true);
  });
});

// A fake engine whose calls resolve or fail as a test says.
function fakeHost(behave: (method: string) => unknown): EngineHost {
  return {
    call: async (method: string) => {
      const result = behave(method);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as EngineHost;
}

describe('LiveCache', () => {
  const prefix = [1, 2, 3];
  const prompt = [...prefix, 9, 9];
  const target = { snapshot: '/x.qkv', snapshotsRoot: '/', budgetBytes: 1 };

  it('knows what the engine holds after each call', async () => {
    const cache = new LiveCache();
    const host = fakeHost((m) => (m === 'generate' ? { tokens: [7, 8, 9], text: '' } : m === 'loadDocument' ? 'prefill' : new Float32Array(1)));
    expect(cache.holds(prefix, prompt)).toBe(false);
    expect(await cache.loadDocument(host, prefix, target)).toBe('prefill');
    expect(cache.tokens).toEqual(prefix);
    await cache.sync(host, prompt);
    await cache.generate(host, { maxNewTokens: 3 });
    // The last generated token is returned but not fed.
    expect(cache.tokens).toEqual([...prompt, 7, 8]);
    expect(cache.holds(prefix, [...prefix, 5])).toBe(true);
    expect(cache.holds(prefix, [1, 2, 4])).toBe(false);
  });

  it('forgets everything after a failure, and keeps only the shared part after a cancel', async () => {
    const cache = new LiveCache();
    await cache.loadDocument(fakeHost(() => 'prefill'), prefix, target);
    await cache.sync(fakeHost(() => new Float32Array(1)), prompt);
    await expect(cache.sync(fakeHost(() => new QuireError('CANCELLED', 'stop')), [...prefix, 4, 4])).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(cache.tokens).toEqual(prefix);
    await expect(cache.generate(fakeHost(() => new QuireError('CANCELLED', 'stop')), { maxNewTokens: 3 })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(cache.tokens).toEqual(prefix);
    await expect(cache.sync(fakeHost(() => new QuireError('INTERNAL', 'engine died')), prompt)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(cache.tokens).toEqual([]);
  });
});
