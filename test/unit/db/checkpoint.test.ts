// A large write commits without copying the log into the database file on the app's event loop: a worker's
// connection checkpoints it just after, and a close leaves everything in the database file (db-checkpoint.ts).
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, transaction } from '../../../electron/node/db.ts';

const BOOK = 'The keeper trimmed the lamp at dusk. '.repeat(230_000); // 8.5 MB: over 2,000 pages

describe('checkpoints off the event loop', () => {
  it('commits a book without checkpointing, then the worker checkpoints it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'quire-checkpoint-')), 'quire.db');
    const db = openDatabase(path);
    db.exec('CREATE TABLE t (x TEXT)');
    const before = statSync(path).size;
    transaction(db, () => db.prepare('INSERT INTO t VALUES (?)').run(BOOK));
    // SQLite's own checkpoint would have copied the pages into the file within the COMMIT.
    expect(statSync(path).size).toBe(before);
    await expect.poll(() => statSync(path).size, { timeout: 10_000, interval: 20 }).toBeGreaterThan(BOOK.length);
    expect((db.prepare('SELECT length(x) AS n FROM t').get() as { n: number }).n).toBe(BOOK.length);
    closeDatabase(db);
    // Everything is in the database file: its log is gone, or empty where the worker's connection closed last.
    expect(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0).toBe(true);
  });

  it('checkpoints what statements outside a transaction wrote, at the next look', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'quire-checkpoint-')), 'quire.db');
    const db = openDatabase(path);
    db.exec('CREATE TABLE t (x TEXT)');
    db.prepare('INSERT INTO t VALUES (?)').run(BOOK);
    await expect.poll(() => statSync(path).size, { timeout: 10_000, interval: 50 }).toBeGreaterThan(BOOK.length);
    closeDatabase(db);
    const again = openDatabase(path);
    expect((again.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(1);
    closeDatabase(again);
  });
});
