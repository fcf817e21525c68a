// library.text serves the viewer's pieces from the stored text (issue 21): a book's text is read from SQLite once
// for many pieces, and never served after its document is deleted or replaced, by this process or another one on
// the same database.
import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../../electron/node/db.ts';
import { RecentTexts } from '../../../electron/node/documents/recent-texts.ts';
import { DocumentStore } from '../../../electron/node/documents/store.ts';
import { databasePath } from '../../../electron/node/paths.ts';

const base = mkdtempSync(join(tmpdir(), 'quire-recent-texts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const utf8 = (s: string) => new TextEncoder().encode(s);
const book = (n: number) => Array.from({ length: 2000 }, (_, i) => `Book ${n}, paragraph ${i}: the whale 🐋 again.`).join('\n\n');

function storeAt(root: string) {
  const db = openDatabase(databasePath(root));
  const prepare = vi.spyOn(db, 'prepare');
  // Statements that read the text column (a SELECT that names it).
  const textReads = () => prepare.mock.calls.filter(([sql]) => /^\s*SELECT\b[^;]*\btext\b[^;]*\bFROM documents\b/i.test(sql)).length;
  return { db, store: new DocumentStore(db), textReads };
}

describe('DocumentStore.text', () => {
  it('reads a text from the database at most once for many pieces, and not after the document is deleted', async () => {
    const { store, textReads } = storeAt(join(base, 'a'));
    const before = textReads();
    const { id } = await store.importBytes('one.txt', utf8(book(1)));
    // The import keeps no string of the text (its bytes went to the database): the first reader reads it once.
    const whole = store.get(id)!.text;
    expect(whole).toBe(book(1));
    const pieces = Array.from({ length: 20 }, (_, k) => store.text(id)!.slice(k * 1000, (k + 1) * 1000));
    expect(pieces.join('')).toBe(whole.slice(0, 20_000));
    expect(textReads() - before).toBe(1);
    expect(store.delete(id)).toBe(true);
    expect(store.text(id)).toBeUndefined();
    // The same bytes again are a new document.
    const again = await store.importBytes('one.txt', utf8(book(1)));
    expect(again.id).not.toBe(id);
    expect(store.text(id)).toBeUndefined();
    expect(store.text(again.id)).toBe(whole);
  });

  it('serves the database, not a kept text, once another connection deleted or replaced the document', async () => {
    const root = join(base, 'b');
    const { store, textReads } = storeAt(root);
    const { id } = await store.importBytes('two.txt', utf8(book(2)));
    expect(store.text(id)).toBe(book(2));
    const reads = textReads();
    const other = new DatabaseSync(databasePath(root));
    try {
      other.prepare('UPDATE documents SET text = ?, hash = ? WHERE id = ?').run(book(3), 'another hash', id);
      expect(store.text(id)).toBe(book(3));
      expect(textReads()).toBe(reads + 1);
      other.prepare('DELETE FROM documents WHERE id = ?').run(id);
      expect(store.text(id)).toBeUndefined();
    } finally {
      other.close();
    }
  });
});

describe('RecentTexts', () => {
  it('keeps texts within its byte budget, the least recently used going first', () => {
    // Two bytes a character: 10 characters fill 20 bytes.
    const recent = new RecentTexts(40);
    recent.set('a', 'ha', 'aaaaaaaaaa');
    recent.set('b', 'hb', 'bbbbbbbbbb');
    expect(recent.get('a', 'ha')).toBe('aaaaaaaaaa');
    recent.set('c', 'hc', 'cccccccccc');
    expect(recent.get('b', 'hb')).toBeUndefined();
    expect(recent.get('a', 'ha')).toBe('aaaaaaaaaa');
    expect(recent.get('c', 'hc')).toBe('cccccccccc');
    // A text larger than the budget is not kept, and evicts nothing.
    recent.set('d', 'hd', 'd'.repeat(21));
    expect(recent.get('d', 'hd')).toBeUndefined();
    expect(recent.get('a', 'ha')).toBe('aaaaaaaaaa');
    // Another hash is another content: dropped.
    expect(recent.get('a', 'changed')).toBeUndefined();
    expect(recent.get('a', 'ha')).toBeUndefined();
  });
});
