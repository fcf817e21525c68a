import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentModelSchema, type ImportProgress } from '../../../electron/common/document.ts';
import { openDatabase } from '../../../electron/node/db.ts';
import { extractBytes } from '../../../electron/node/documents/extract.ts';
import { DocumentStore, SUMMARY_SELECT } from '../../../electron/node/documents/store.ts';
import { databasePath, snapshotsDir } from '../../../electron/node/paths.ts';
import { makePdf } from './fixtures.ts';

const base = mkdtempSync(join(tmpdir(), 'quire-store-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let rootCount = 0;
const newRoot = () => join(base, `root${rootCount++}`);
const utf8 = (s: string) => new TextEncoder().encode(s);

const book = makePdf(
  [{ paragraphs: [['Foreword text.']] }, { paragraphs: [['Body page one.']] }, { paragraphs: [['Body page two.']] }],
  { title: 'Stored Book', labels: [[0, 'R'], [1, 'D']] },
);

describe('DocumentStore', () => {
  it('imports a file, lists a summary without text, returns the full model, recognizes re-imports', async () => {
    const root = newRoot();
    const store = new DocumentStore(openDatabase(databasePath(root)));
    const path = join(base, 'book.pdf');
    writeFileSync(path, book);
    const phases = new Set<ImportProgress['phase']>();
    const first = await store.importFile(path, { onProgress: (p) => phases.add(p.phase) });
    expect(first).toMatchObject({ title: 'Stored Book', format: 'pdf', pages: 3, tokens: null, warnings: [], duplicate: false });
    expect([...phases]).toEqual(['hash', 'extract', 'store']);
    expect(Number.isNaN(Date.parse(first.importedAt))).toBe(false);

    const list = store.list();
    expect(list).toHaveLength(1);
    expect(list[0]).not.toHaveProperty('text');
    expect(list[0]).toEqual({ id: first.id, title: 'Stored Book', format: 'pdf', chars: first.chars, tokens: null, pages: 3, importedAt: first.importedAt, warnings: [] });

    const model = DocumentModelSchema.parse(store.get(first.id));
    expect(model).toEqual(await extractBytes('book.pdf', book));
    expect(model.anchors.map((a) => a.label)).toEqual(['I', '1', '2']);

    const again = await store.importBytes('renamed copy.pdf', book);
    expect(again).toMatchObject({ id: first.id, duplicate: true });
    expect(store.list()).toHaveLength(1);
    expect(store.get('no-such-id')).toBeUndefined();
  });

  it("reads a summary (every question's document check, the library list) without the document's text", () => {
    const db = openDatabase(databasePath(newRoot()));
    new DocumentStore(db);
    for (const [where, ...parameters] of [[' WHERE d.id = ?', 'id'], [' ORDER BY d.imported_at DESC, d.rowid DESC']]) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${SUMMARY_SELECT}${where}`).all(null, null, ...parameters) as { detail: string }[];
      expect(plan.find((step) => /\bd\b/.test(step.detail) && !/doc_tokens/.test(step.detail))?.detail).toMatch(/COVERING INDEX documents_summary/);
    }
  });

  it('keeps token counts per tokenizer and shows the latest in summaries', async () => {
    const root = newRoot();
    const store = new DocumentStore(openDatabase(databasePath(root)));
    const { id } = await store.importBytes('a.txt', utf8('some words here'));
    expect(store.getTokenCount(id, 'llama3')).toBeUndefined();
    store.setTokenCount(id, 'llama3', 4);
    store.setTokenCount(id, 'other', 9);
    store.setTokenCount(id, 'llama3', 5);
    expect(store.getTokenCount(id, 'llama3')).toBe(5);
    expect(store.getTokenCount(id, 'other')).toBe(9);
    expect(store.list()[0].tokens).toBe(5);
    expect(store.list('other')[0].tokens).toBe(9);
    expect(() => store.setTokenCount('missing', 'llama3', 1)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => store.setTokenCount(id, 'llama3', -1)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('deletes a document with its anchors and token counts, then what was derived from it, and nothing else', async () => {
    const root = newRoot();
    const db = openDatabase(databasePath(root));
    const derived: string[] = [];
    const store = new DocumentStore(db, (id) => derived.push(id));
    const keep = await store.importBytes('keep.md', utf8('# Keep\n\ntext'));
    const gone = await store.importBytes('gone.md', utf8('# Gone\n\ntext'));
    store.setTokenCount(gone.id, 'llama3', 3);
    expect(store.delete(gone.id)).toBe(true);
    expect(store.get(gone.id)).toBeUndefined();
    // Its saved caches and prompt ids (the prefix store's and prompt-ids' removeDocument in the app) go after it.
    expect(derived).toEqual([gone.id]);
    expect(store.delete(gone.id)).toBe(false);
    expect(store.list().map((d) => d.id)).toEqual([keep.id]);
    const counts = db.prepare('SELECT (SELECT COUNT(*) FROM document_anchors WHERE doc_id = ?) AS anchors, (SELECT COUNT(*) FROM doc_tokens WHERE doc_id = ?) AS tokens').get(gone.id, gone.id);
    expect(counts).toEqual({ anchors: 0, tokens: 0 });
    expect(store.delete('../..')).toBe(false);
  });

  it('leaves the library untouched when a file is refused', async () => {
    const root = newRoot();
    const store = new DocumentStore(openDatabase(databasePath(root)));
    await store.importBytes('ok.txt', utf8('fine'));
    await expect(store.importBytes('scan.pdf', makePdf([{ image: true }]))).rejects.toMatchObject({ code: 'SCANNED' });
    await expect(store.importFile(join(base, 'missing.pdf'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(store.list().map((d) => d.title)).toEqual(['ok']);
  });

  it('leaves no half document behind when the process is killed in the middle of an import', async () => {
    const root = newRoot();
    const cues = Array.from({ length: 30_000 }, (_, i) => `${i + 1}\n00:00:${String(i % 60).padStart(2, '0')},000 --> 00:00:59,000\nline ${i}\n`).join('\n');
    const path = join(base, 'long.srt');
    writeFileSync(path, cues);
    const storeUrl = pathToFileURL(resolve('electron/node/documents/store.ts')).href;
    const dbUrl = pathToFileURL(resolve('electron/node/db.ts')).href;
    // The child signals once its import's writer has written the document row and some anchors, and its event loop
    // blocks until it is killed; the writer's thread may commit meanwhile (then the document is whole).
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { writeSync } from 'node:fs';
         const { DocumentStore } = await import(${JSON.stringify(storeUrl)});
         const { openDatabase } = await import(${JSON.stringify(dbUrl)});
         const store = new DocumentStore(openDatabase(${JSON.stringify(databasePath(root))}));
         await store.importFile(${JSON.stringify(path)}, { onProgress: (p) => {
           if (p.phase === 'store' && p.done >= 10000) { writeSync(1, 'storing\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); }
         } });`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((done, fail) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('storing') && done());
      child.on('exit', () => fail(new Error(`child exited before storing: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((done) => child.on('exit', done));

    const db = openDatabase(databasePath(root));
    const store = new DocumentStore(db);
    const left = db.prepare('SELECT (SELECT COUNT(*) FROM documents) AS docs, (SELECT COUNT(*) FROM document_anchors) AS anchors').get();
    expect([{ docs: 0, anchors: 0 }, { docs: 1, anchors: 30_000 }]).toContainEqual(left);
    const imported = await store.importFile(path);
    expect(imported.duplicate).toBe(left!.docs === 1);
    expect(store.get(imported.id)!.anchors).toHaveLength(30_000);
  });
});
