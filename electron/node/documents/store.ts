import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DocumentSummary } from '../../common/contract.ts';
import type { Anchor, DocumentFormat, DocumentModel, DocumentOutline, ImportProgress } from '../../common/document.ts';
import type { Utf8Document } from '../../common/utf8-document.ts';
import { QuireError } from '../../common/errors.ts';
import { aroundTheLoop } from '../event-loop.ts';
import { assertWritable, committed, isDamaged, migrate, transaction, writeFailure, type Db } from '../db.ts';
import { extractFileUtf8, extractIsolatedUtf8 } from './extract.ts';
import { RecentTexts } from './recent-texts.ts';
import { storeRows } from './store-writer.ts';
import type { OcrLanguage } from '../../common/ocr-languages.ts';

const MIGRATIONS = [
  `CREATE TABLE documents (
     id TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     format TEXT NOT NULL,
     title TEXT NOT NULL,
     text TEXT NOT NULL,
     chars INTEGER NOT NULL,
     pages INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     warnings TEXT NOT NULL,
     imported_at INTEGER NOT NULL
   );
   CREATE TABLE document_anchors (
     doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     kind TEXT NOT NULL,
     label TEXT NOT NULL,
     start_offset INTEGER NOT NULL,
     end_offset INTEGER NOT NULL,
     PRIMARY KEY (doc_id, seq)
   ) WITHOUT ROWID;
   CREATE TABLE doc_tokens (
     doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
     tokenizer_id TEXT NOT NULL,
     count INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (doc_id, tokenizer_id)
   );`,
  // A summary's columns come after the text in each row: without an index holding them, reading one walks the
  // text's overflow pages (4 MB for a 1M-token book, milliseconds on every question).
  `CREATE INDEX documents_summary ON documents (id, title, format, chars, pages, imported_at, warnings);`,
];

const BY_HASH = 'SELECT id FROM documents WHERE hash = ?';
const INSERT_DOCUMENT = `INSERT INTO documents (id, hash, name, format, title, text, chars, pages, bytes, warnings, imported_at)
  VALUES (?, ?, ?, ?, ?, CAST(? AS TEXT), ?, ?, ?, ?, ?)`;
const INSERT_ANCHOR = 'INSERT INTO document_anchors (doc_id, seq, kind, label, start_offset, end_offset) VALUES (?, ?, ?, ?, ?, ?)';

// Anchors are written in batches between progress reports.
const STORE_PROGRESS_EVERY = 10_000;

// The texts kept after a read: a few books of a million tokens (4 MB of text, up to 8 MB as a JS string).
const RECENT_TEXT_BYTES = 32 << 20;

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
  timeoutMs?: number;
  // A file kept beside the rows (the original PDF): written inside the import's transaction and removed if the
  // commit fails, so a full disk leaves neither rows without their file nor a file without its rows.
  original?: { keep: (id: string, format: DocumentFormat) => void; remove: (id: string) => void };
  // The language scanned pages are read in, and a signal that cancels the import while it is parsed.
  ocrLanguage?: OcrLanguage;
  signal?: AbortSignal;
  // A protected PDF's password, for extraction only: it is not a column, and not part of any message logged.
  password?: string;
  // Told once the document is stored (not for a duplicate), with what was parsed: what is derived from its text
  // (its count) starts without reading a book back from the database.
  onStored?: (id: string, document: Utf8Document) => void;
}

export type ImportResult = DocumentSummary & { duplicate: boolean };

interface SummaryRow {
  id: string;
  title: string;
  format: string;
  chars: number;
  pages: number;
  imported_at: number;
  warnings: string;
  tokens: number | null;
}

// The latest count recorded for the document, or the count of one tokenizer when asked for. The index is named:
// SQLite prefers the primary key's, which does not hold these columns.
export const SUMMARY_SELECT = `SELECT d.id, d.title, d.format, d.chars, d.pages, d.imported_at, d.warnings,
  (SELECT t.count FROM doc_tokens t WHERE t.doc_id = d.id AND (? IS NULL OR t.tokenizer_id = ?)
   ORDER BY t.updated_at DESC LIMIT 1) AS tokens
  FROM documents d INDEXED BY documents_summary`;

function toSummary(row: SummaryRow): DocumentSummary {
  return {
    id: row.id,
    title: row.title,
    format: row.format,
    chars: row.chars,
    tokens: row.tokens,
    pages: row.pages,
    importedAt: new Date(row.imported_at).toISOString(),
    warnings: JSON.parse(row.warnings) as string[],
  };
}

async function hashFile(path: string, onProgress?: (progress: ImportProgress) => void): Promise<string> {
  const total = (await stat(path)).size;
  const hash = createHash('sha256');
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    done += chunk.length;
    onProgress?.({ phase: 'hash', done, total });
  }
  return hash.digest('hex');
}

// Documents in the app database: the extracted text and anchors, keyed by a content hash so the same bytes
// imported twice are one document. Each import is one transaction: a process killed mid-import leaves
// nothing behind, and a refused file leaves the library as it was.
export class DocumentStore {
  #db: Db;
  // Deletes what was derived from a document elsewhere (its saved KV prefixes).
  #removeDerived: (id: string) => void;
  #recentTexts = new RecentTexts(RECENT_TEXT_BYTES);

  constructor(db: Db, removeDerived: (id: string) => void = () => undefined) {
    this.#db = db;
    this.#removeDerived = removeDerived;
    migrate(db, 'documents', MIGRATIONS);
  }

  async importFile(path: string, options: ImportOptions = {}): Promise<ImportResult> {
    assertWritable(this.#db);
    const hash = await hashFile(path, options.onProgress).catch((error: unknown) => {
      throw (error as { code?: string }).code === 'ENOENT' ? new QuireError('NOT_FOUND', `no such file: ${path}`) : error;
    });
    const existing = this.#byHash(hash);
    if (existing) return { ...existing, duplicate: true };
    const document = await extractFileUtf8(path, this.#extractOptions(options));
    await aroundTheLoop();
    return this.#store(hash, basename(path), (await stat(path)).size, document, options);
  }

  async importBytes(name: string, bytes: Uint8Array, options: ImportOptions = {}): Promise<ImportResult> {
    assertWritable(this.#db);
    const hash = createHash('sha256').update(bytes).digest('hex');
    options.onProgress?.({ phase: 'hash', done: bytes.length, total: bytes.length });
    const existing = this.#byHash(hash);
    if (existing) return { ...existing, duplicate: true };
    // Hashing a book and starting its parser (a fork, sending it the file) are tens of milliseconds each under load:
    // a turn of the event loop between them.
    await aroundTheLoop();
    const document = await extractIsolatedUtf8({ name, bytes }, this.#extractOptions(options));
    // A book's text arrived from the parser in one task (megabytes copied); storing it is the next one, so the
    // event loop serves others in between.
    await aroundTheLoop();
    return this.#store(hash, basename(name), bytes.length, document, options);
  }

  list(tokenizerId?: string): DocumentSummary[] {
    const t = tokenizerId ?? null;
    const rows = this.#db.prepare(`${SUMMARY_SELECT} ORDER BY d.imported_at DESC, d.rowid DESC`).all(t, t) as unknown as SummaryRow[];
    return rows.map(toSummary);
  }

  summary(id: string, tokenizerId?: string): DocumentSummary | undefined {
    const t = tokenizerId ?? null;
    const row = this.#db.prepare(`${SUMMARY_SELECT} WHERE d.id = ?`).get(t, t, id) as SummaryRow | undefined;
    return row && toSummary(row);
  }

  get(id: string): DocumentModel | undefined {
    const outline = this.outline(id);
    return outline && { ...outline, text: this.text(id)! };
  }

  // Everything but the text, read from the summary index (never the text's overflow pages).
  outline(id: string): DocumentOutline | undefined {
    const row = this.#db.prepare('SELECT format, title, chars, warnings FROM documents WHERE id = ?').get(id) as
      | { format: DocumentFormat; title: string; chars: number; warnings: string }
      | undefined;
    if (!row) return undefined;
    const anchors = this.#db
      .prepare('SELECT kind, label, start_offset AS start, end_offset AS end FROM document_anchors WHERE doc_id = ? ORDER BY seq')
      .all(id) as unknown as Anchor[];
    return { format: row.format, title: row.title, anchors, chars: row.chars, warnings: JSON.parse(row.warnings) as string[] };
  }

  // The row's hash is in its first bytes (the text's overflow pages are not read): a kept text is used only while
  // the row is still there with the same content.
  text(id: string): string | undefined {
    const row = this.#db.prepare('SELECT hash FROM documents WHERE id = ?').get(id) as { hash: string } | undefined;
    if (!row) return (this.#recentTexts.delete(id), undefined);
    const kept = this.#recentTexts.get(id, row.hash);
    if (kept !== undefined) return kept;
    const read = this.#db.prepare('SELECT hash, text FROM documents WHERE id = ?').get(id) as { hash: string; text: string } | undefined;
    if (!read) return undefined;
    this.#recentTexts.set(id, read.hash, read.text);
    return read.text;
  }

  // Removes the document, its anchors and token counts, then what was derived from it (a crash between the two
  // leaves orphaned files, never a document whose caches are gone).
  delete(id: string): boolean {
    const deleted = transaction(this.#db, () => this.#db.prepare('DELETE FROM documents WHERE id = ?').run(id).changes > 0);
    this.#recentTexts.delete(id);
    this.#removeDerived(id);
    return deleted;
  }

  setTokenCount(docId: string, tokenizerId: string, count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new QuireError('INVALID_INPUT', `token count must be a non-negative integer, got ${count}`);
    // A count is a cache: a damaged database, open read-only, keeps none, and the library still lists.
    if (isDamaged(this.#db)) return;
    try {
      this.#db
        .prepare(
          `INSERT INTO doc_tokens (doc_id, tokenizer_id, count, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(doc_id, tokenizer_id) DO UPDATE SET count = excluded.count, updated_at = excluded.updated_at`,
        )
        .run(docId, tokenizerId, count, Date.now());
    } catch (error) {
      if (/FOREIGN KEY/.test((error as Error).message)) throw new QuireError('NOT_FOUND', `no document with id ${docId}`);
      throw error;
    }
  }

  getTokenCount(docId: string, tokenizerId: string): number | undefined {
    const row = this.#db.prepare('SELECT count FROM doc_tokens WHERE doc_id = ? AND tokenizer_id = ?').get(docId, tokenizerId) as
      | { count: number }
      | undefined;
    return row?.count;
  }

  #extractOptions(options: ImportOptions) {
    return {
      timeoutMs: options.timeoutMs,
      ocrLanguage: options.ocrLanguage,
      signal: options.signal,
      password: options.password,
      onProgress: (done: number, total: number, phase?: 'ocr') => options.onProgress?.({ phase: phase ?? 'extract', done, total }),
    };
  }

  #byHash(hash: string): DocumentSummary | undefined {
    const row = this.#db.prepare(BY_HASH).get(hash) as { id: string } | undefined;
    return row && this.summary(row.id);
  }

  // The rows are written by a thread of their own (store-writer.ts). The text is bound as its UTF-8 bytes and made
  // TEXT by SQLite (the same bytes a JS string bound as text becomes), so no book-sized string is built here. The
  // original is kept before the rows and removed if they are not written: a full disk leaves neither rows without
  // their file nor a file without its rows.
  async #store(hash: string, name: string, bytes: number, model: Utf8Document, options: ImportOptions): Promise<ImportResult> {
    const id = randomUUID();
    const total = model.anchors.length;
    const pages = model.anchors.filter((a) => a.kind === 'page').length;
    options.onProgress?.({ phase: 'store', done: 0, total });
    let stored: { id: string; duplicate: boolean };
    let kept = false;
    try {
      options.original?.keep(id, model.format);
      kept = true;
      stored = await storeRows(
        this.#db,
        {
          hash,
          id,
          row: [id, hash, name, model.format, model.title, model.utf8, model.chars, pages, bytes, JSON.stringify(model.warnings), Date.now()],
          anchors: model.anchors,
          sql: { raced: BY_HASH, document: INSERT_DOCUMENT, anchor: INSERT_ANCHOR },
          progressEvery: STORE_PROGRESS_EVERY,
        },
        (done) => options.onProgress?.({ phase: 'store', done, total }),
      );
    } catch (error) {
      if (kept) options.original?.remove(id);
      throw writeFailure(error);
    }
    if (stored.duplicate) options.original?.remove(id);
    else committed(this.#db);
    options.onProgress?.({ phase: 'store', done: total, total });
    // Its text is not kept as a string for the viewer: that string is built when a reader asks for it.
    if (!stored.duplicate) options.onStored?.(stored.id, model);
    return { ...this.summary(stored.id)!, duplicate: stored.duplicate };
  }

}
