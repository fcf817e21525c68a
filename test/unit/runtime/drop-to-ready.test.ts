// Issue 21 point 2, the order of a drop: the model's tokenizer loads while the file is parsed, and the count starts
// from the text the parser gave, not from the book read back out of the database; and the app's main thread never
// builds the book as a string meanwhile (each such string was copied and collected on the event loop).
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ImportProgress } from '../../../electron/common/document.ts';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { databasePath } from '../../../electron/node/paths.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { callRouter } from '../router-call.ts';

let services: AppServices;
afterAll(async () => {
  await services?.close();
});

describe('dropping a document', () => {
  it('loads the tokenizer before the parse ends and counts from the parsed text', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-drop-'));
    await installTinyModel(root);
    services = createAppServices({ mode: 'cli', root });
    const model = services.activeModel();
    const warm = vi.spyOn(services.text, 'warm');
    const get = vi.spyOn(services.documents, 'get');
    // How many tokenizer loads had been asked for when the parse ended (the store phase follows it).
    let warmedWhenParsed: number | null = null;
    services.bus.subscribe((name, payload) => {
      if (name === 'library.progress' && (payload as ImportProgress).phase === 'store' && warmedWhenParsed === null) warmedWhenParsed = warm.mock.calls.length;
    });
    const text = Array.from({ length: 300 }, (_, i) => `Entry ${i + 1}: the keeper logged the tide at dawn.`).join('\n');
    const { id } = await callRouter(services, 'library.import', { name: 'log.txt', bytes: new TextEncoder().encode(text) });
    const listed = (await callRouter(services, 'library.list', {})).find((d) => d.id === id)!;
    const fit = await callRouter(services, 'chat.fit', { documentIds: [id] });

    expect(warmedWhenParsed).toBe(1);
    expect(warm).toHaveBeenCalledWith(model.dir);
    expect(listed.tokens).toBeGreaterThan(300);
    expect(fit.documentTokens).toBe(listed.tokens);
    // Counted and fit-checked without reading the book back.
    expect(get).not.toHaveBeenCalled();
  });

  it('refuses a model folder whose tokenizer is gone, naming the file', async () => {
    const model = services.activeModel();
    rmSync(join(model.dir, 'tokenizer.json'));
    // Another document set than the one counted above: its prefix is not remembered.
    const counting = services.prompts.count(model, { id: 'other', load: () => ({ title: 'x', format: 'txt', text: 'x' }) });
    await expect(counting).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringContaining('tokenizer.json cannot be read') });
  });
});

describe('importing a book', () => {
  it('never allocates its text as one string on the main thread, from the import call to counted and fit-checked', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-drop-heap-'));
    await installTinyModel(root);
    const app = createAppServices({ mode: 'cli', root });
    try {
      // 600K characters, two bytes each as a JS string (the dashes are not Latin-1): 1.2 MB.
      const text = Array.from({ length: 12_000 }, (_, i) => `Entry ${i + 1} — the keeper logged the tide at dawn.`).join('\n');
      const bytes = new TextEncoder().encode(text);
      // Every allocation on this thread's heap is sampled, those collected since included: a string of the text
      // would be one sample of its size. Typed arrays' bytes live outside the heap.
      const session = new Session();
      session.connect();
      await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      let id: string;
      let largest: number;
      try {
        ({ id } = await callRouter(app, 'library.import', { name: 'log.txt', bytes }));
        const listed = (await callRouter(app, 'library.list', {})).find((d) => d.id === id)!;
        expect(listed.tokens).toBeGreaterThan(12_000);
        expect((await callRouter(app, 'chat.fit', { documentIds: [id] })).documentTokens).toBe(listed.tokens);
      } finally {
        // Node ids and samples are in the protocol, not in @types/node's copy of it.
        type ProfileNode = { id: number; callFrame: { url: string }; children: ProfileNode[] };
        const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode; samples: { size: number; nodeId: number }[] } };
        session.disconnect();
        // Left out: what the profiler's own call allocated (the profile it hands back).
        const own = new Set<number>();
        const mark = (node: ProfileNode, inside: boolean) => {
          const here = inside || node.callFrame.url === 'node:inspector';
          if (here) own.add(node.id);
          for (const child of node.children) mark(child, here);
        };
        mark(profile.head, false);
        largest = Math.max(0, ...profile.samples.filter((sample) => !own.has(sample.nodeId)).map((sample) => sample.size));
      }
      expect(largest).toBeLessThan(text.length / 8);
      // Stored as before: TEXT whose bytes are the text's UTF-8, its length in UTF-16 units.
      const db = new DatabaseSync(databasePath(root), { readOnly: true });
      try {
        const row = db.prepare('SELECT typeof(text) AS type, CAST(text AS BLOB) AS raw, chars FROM documents WHERE id = ?').get(id) as { type: string; raw: Uint8Array; chars: number };
        expect(row.type).toBe('text');
        expect(Buffer.from(row.raw).equals(Buffer.from(bytes))).toBe(true);
        expect(row.chars).toBe(text.length);
      } finally {
        db.close();
      }
      expect(app.documents.get(id)!.text).toBe(text);
    } finally {
      await app.close();
    }
  });
});
