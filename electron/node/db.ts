import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { diskFullReason, QuireError } from '../common/errors.ts';

export type Db = DatabaseSync;

// Opens (creating if needed) the app database in WAL mode: readers never block the writer, and a crash
// mid-transaction rolls back on the next open instead of leaving half a row set behind.
export function openDatabase(path: string): Db {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Created 0600 before SQLite opens it, whatever the umask: SQLite gives its WAL and shared-memory files
    // the database file's own permissions, so all three stay the user's alone.
    closeSync(openSync(path, 'a', 0o600));
    if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  return db;
}

// Each service owns its tables and migrates them on its own: `steps[i]` takes the component from version i
// to i + 1. Steps run in one transaction each, so an interrupted upgrade is retried whole.
export function migrate(db: Db, component: string, steps: readonly string[]): void {
  const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as
    | { version: number }
    | undefined;
  for (let version = row?.version ?? 0; version < steps.length; version++) {
    transaction(db, () => {
      db.exec(steps[version]);
      db.prepare(
        'INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version',
      ).run(component, version + 1);
    });
  }
}

export function transaction<T>(db: Db, body: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = body();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    // SQLite rolls the transaction back by itself after SQLITE_FULL, I/O and memory errors; a ROLLBACK then
    // fails with "cannot rollback - no transaction is active", which would hide the real cause.
    if (db.isTransaction) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // The body's error is the one to report; SQLite undoes an unfinished transaction at the next open.
      }
    }
    const full = diskFullReason(error);
    throw full && !(error instanceof QuireError) ? new QuireError('DISK_FULL', full) : error;
  }
}
