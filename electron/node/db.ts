import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { diskFullReason, QuireError } from '../common/errors.ts';
import { BACKUP_EVERY_WRITES, BACKUP_MIN_INTERVAL_MS, backUp, quickCheck, recentBackup } from './db-backup.ts';
import { checkpointSoon, unwatchLog, watchLog } from './db-checkpoint.ts';
import { applyStagedRecovery, damageMessage, recordHealthy, salvageForReading } from './db-recovery.ts';

export type Db = DatabaseSync;

// Damaged databases, opened read-only on their salvage, by the damaged file's path.
const damaged = new WeakMap<Db, string>();
// Databases that take rolling backups: their file, and the writes committed since the last backup.
const backedUp = new WeakMap<Db, { path: string; writes: number; running: boolean; last: number }>();

// Opens (creating if needed) the app database in WAL mode: readers never block the writer, and a crash
// mid-transaction rolls back on the next open instead of leaving half a row set behind. A database that fails
// SQLite's quick check is never opened for writing: the app reads a salvaged copy, read-only, and is told
// (db-recovery.ts). A sound one is backed up at once and then after writes (db-backup.ts says when).
export function openDatabase(path: string): Db {
  if (path === ':memory:') return configure(new DatabaseSync(path));
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  applyStagedRecovery(path);
  const existed = statSync(path, { throwIfNoEntry: false });
  const problem = existed && existed.size > 0 ? quickCheck(path) : null;
  if (problem) {
    const db = new DatabaseSync(salvageForReading(path, problem), { readOnly: true });
    db.exec('PRAGMA foreign_keys = ON');
    damaged.set(db, path);
    return db;
  }
  recordHealthy(path);
  // Created 0600 before SQLite opens it, whatever the umask: SQLite gives its WAL and shared-memory files
  // the database file's own permissions, so all three stay the user's alone.
  closeSync(openSync(path, 'a', 0o600));
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const db = configure(new DatabaseSync(path));
  db.exec(FILE_PRAGMAS);
  watchLog(path);
  backedUp.set(db, { path, writes: 0, running: false, last: 0 });
  if (!recentBackup(path)) backUpNow(db);
  return db;
}

// A backup runs beside the app's own work; one that fails (the app closing the database meanwhile, a full
// disk) leaves the previous backups in place and is tried again after the next writes.
function backUpNow(db: Db): void {
  const state = backedUp.get(db);
  if (!state || state.running) return;
  state.running = true;
  state.writes = 0;
  state.last = Date.now();
  backUp(db, state.path)
    .catch(() => undefined)
    .finally(() => (state.running = false));
}

// What every connection to the app's database runs with: the app's own, and those its worker threads open to the
// same file (store-writer.ts, db-checkpoint.ts).
export const CONNECTION_PRAGMAS = 'PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000';
// And, for a database in a file, its log checkpointed off the event loop (db-checkpoint.ts), not inside a COMMIT.
export const FILE_PRAGMAS = 'PRAGMA wal_autocheckpoint = 0';

function configure(db: Db): Db {
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(CONNECTION_PRAGMAS);
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  return db;
}

// Each service owns its tables and migrates them on its own: `steps[i]` takes the component from version i
// to i + 1. Steps run in one transaction each, so an interrupted upgrade is retried whole.
// A damaged database is never upgraded (that would write into it): its rows are read as its older schema has
// them, and an app that refused to open it for want of a newer column would show the user nothing at all.
export function migrate(db: Db, component: string, steps: readonly string[]): void {
  if (damaged.has(db)) return;
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

// Refuses, with the user's way out, any write to a database that was found damaged, before work that would
// end in that write is begun (an import parses the document first).
export function assertWritable(db: Db): void {
  const path = damaged.get(db);
  if (path !== undefined) throw new QuireError('DATABASE_DAMAGED', damageMessage(path) ?? "Quire's database is damaged and open read-only");
}

// Closes the database with its log checkpointed whole (at close the wait does not matter, and the worker's
// connection may be the one open last) and stops looking at the log.
export function closeDatabase(db: Db): void {
  const path = backedUp.get(db)?.path;
  if (path) {
    try {
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // A full disk or a busy worker past the busy timeout: the log stays, and the next open reads it.
    }
  }
  db.close();
  if (path) unwatchLog(path);
}

export function isDamaged(db: Db): boolean {
  return damaged.has(db);
}

export function transaction<T>(db: Db, body: () => T): T {
  assertWritable(db);
  try {
    const result = atomically(db, body);
    committed(db);
    return result;
  } catch (error) {
    throw writeFailure(error);
  }
}

// `body` between BEGIN IMMEDIATE and COMMIT, rolled back if it throws. It uses nothing from outside its body: the
// document writer's thread runs its source on its own connection (store-writer.ts).
export function atomically<T>(db: Db, body: () => T): T {
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
    throw error;
  }
}

// After a transaction committed on this database (on its connection, or on another one's, store-writer.ts): its
// log is checkpointed and, after enough writes, the database backed up.
export function committed(db: Db): void {
  const state = backedUp.get(db);
  if (state) checkpointSoon(state.path);
  if (state && ++state.writes >= BACKUP_EVERY_WRITES && Date.now() - state.last >= BACKUP_MIN_INTERVAL_MS) backUpNow(db);
}

// A failed write as the app reports it: a full disk in one line (DISK_FULL), anything else as it came.
export function writeFailure(error: unknown): unknown {
  const full = diskFullReason(error);
  return full && !(error instanceof QuireError) ? new QuireError('DISK_FULL', full) : error;
}
