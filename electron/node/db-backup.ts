// Rolling backups of the app database, made with SQLite's online backup (the database stays in use while it is
// copied): one at each start whose quick check passed and one after every BACKUP_EVERY_WRITES committed writes,
// at most one per BACKUP_MIN_INTERVAL_MS either way (a library of books is gigabytes: neither a conversation nor
// a few restarts should copy it again and again).
// The newest BACKUPS_KEPT are kept, 0600 in a 0700 folder beside the database. A damaged database is never
// backed up, so a damage cannot push the last good copies out.
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';

export const BACKUPS_KEPT = 3;
export const BACKUP_EVERY_WRITES = 200;
export const BACKUP_MIN_INTERVAL_MS = 10 * 60_000;
const PREFIX = 'quire-';
const SUFFIX = '.db';

export function backupFolder(databasePath: string): string {
  return join(dirname(databasePath), 'backups');
}

// The backups, newest first (their names sort by time).
export function listBackups(databasePath: string): string[] {
  let names: string[];
  try {
    names = readdirSync(backupFolder(databasePath));
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(PREFIX) && name.endsWith(SUFFIX))
    .sort()
    .reverse()
    .map((name) => join(backupFolder(databasePath), name));
}

// Whether SQLite finds nothing wrong in the file: its quick check, on a read-only connection (a check must
// not write, least of all into a damaged file). A file it cannot open at all is not good either.
export function quickCheck(path: string): string | null {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const rows = db.prepare('PRAGMA quick_check').all() as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((line) => line !== 'ok');
    return problems.length ? problems.slice(0, 3).join('; ') : null;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  } finally {
    try {
      db?.close();
    } catch {
      // Nothing was opened.
    }
  }
}

// The newest backup whose quick check passes, or null.
export function newestGoodBackup(databasePath: string): string | null {
  return listBackups(databasePath).find((path) => quickCheck(path) === null) ?? null;
}

// Whether the newest backup is younger than BACKUP_MIN_INTERVAL_MS (a start right after another makes none).
export function recentBackup(databasePath: string): boolean {
  const newest = listBackups(databasePath)[0];
  return newest !== undefined && Date.now() - statSync(newest).mtimeMs < BACKUP_MIN_INTERVAL_MS;
}

let sequence = 0;

// Copies `db` (open at `databasePath`) into a new backup and drops the oldest beyond BACKUPS_KEPT. The copy is
// written under a temporary name and renamed when whole, so a crash mid-copy leaves no half backup to restore.
export async function backUp(db: DatabaseSync, databasePath: string): Promise<string> {
  const folder = backupFolder(databasePath);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  // Sortable by time; the sequence keeps two backups in one millisecond apart.
  const stamp = `${new Date().toISOString().replace(/[-:.]/g, '')}-${String(sequence++ % 1000).padStart(3, '0')}`;
  const path = join(folder, `${PREFIX}${stamp}${SUFFIX}`);
  const partial = `${path}.partial`;
  closeSync(openSync(partial, 'w', 0o600));
  try {
    await backup(db, partial);
    chmodSync(partial, 0o600);
    renameSync(partial, path);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  for (const old of listBackups(databasePath).slice(BACKUPS_KEPT)) rmSync(old, { force: true });
  return path;
}
