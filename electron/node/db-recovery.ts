// What Quire does about a damaged database: found by the quick check at start, it is never opened for writing.
// The app runs on a read-only copy of what could be read (salvaged from the damaged file, the tables where damage
// was met filled from the newest good backup) and says so, with the way out: make that salvage the database, or
// restore the newest good backup. Either is staged beside the database and swapped in at the next start, with the
// damaged file kept aside, never deleted.
import { existsSync, renameSync, rmSync, statSync, copyFileSync, chmodSync } from 'node:fs';
import { basename } from 'node:path';
import { QuireError } from '../common/errors.ts';
import { newestGoodBackup } from './db-backup.ts';
import { salvageDatabase, type TableSalvage } from './db-salvage.ts';

export type RecoverySource = 'salvage' | 'backup';

export interface DatabaseHealth {
  damaged: boolean;
  // SQLite's own words for the damage.
  problem: string | null;
  // The newest good backup, or null.
  backup: string | null;
  salvage: TableSalvage[] | null;
  // A recovery staged for the next start.
  staged: RecoverySource | null;
}

const health = new Map<string, DatabaseHealth>();
const OK: DatabaseHealth = { damaged: false, problem: null, backup: null, salvage: null, staged: null };

export const salvagedPath = (path: string) => `${path}.salvaged`;
const replacementPath = (path: string) => `${path}.replacement`;

export function databaseHealth(path: string): DatabaseHealth {
  return health.get(path) ?? OK;
}

export function recordHealthy(path: string): void {
  health.delete(path);
}

// Reads the damaged database at `path` into its salvage file and answers where the app should read from.
export function salvageForReading(path: string, problem: string): string {
  const backup = newestGoodBackup(path);
  let salvage: TableSalvage[];
  try {
    salvage = salvageDatabase(path, salvagedPath(path), backup);
  } catch (error) {
    throw new QuireError('DATABASE_DAMAGED', `${damagedWords(path, problem)} and nothing could be read out of it (${(error as Error).message.split('\n')[0]}); move it aside to start with an empty library`);
  }
  health.set(path, { damaged: true, problem, backup, salvage, staged: null });
  return salvagedPath(path);
}

// SQLite lists what it found a line each: said on one line.
function damagedWords(path: string, problem: string): string {
  return `Quire's database ${basename(path)} is damaged (${problem.replace(/\s*\n\s*/g, '; ').trim()})`;
}

// The user's message, in words, with the way out; null when the database is sound.
export function damageMessage(path: string): string | null {
  const h = databaseHealth(path);
  if (!h.damaged) return null;
  const read = (h.salvage ?? []).reduce((n, t) => n + t.salvaged + t.fromBackup, 0);
  const fromBackup = (h.salvage ?? []).reduce((n, t) => n + t.fromBackup, 0);
  const backup = h.backup ? `the backup of ${backupTime(h.backup)}` : 'no good backup';
  return (
    `${damagedWords(path, h.problem!)}. Quire opened it read-only: ${read} rows could be read (${fromBackup} of them from ${backup}), and nothing new can be saved. ` +
    `Keep what was read as the new database (quire db salvage), or restore ${h.backup ? 'that backup' : 'a backup'} (quire db restore), then start Quire again; the damaged file is kept aside.`
  );
}

// When a backup was taken: its file's last write.
export function backupTakenAt(path: string): Date {
  return statSync(path).mtime;
}

function backupTime(path: string): string {
  return backupTakenAt(path).toISOString().replace('T', ' ').slice(0, 16);
}

// Stages the chosen recovery for the next start.
export function stageRecovery(path: string, source: RecoverySource): DatabaseHealth {
  const h = databaseHealth(path);
  if (!h.damaged) throw new QuireError('INVALID_INPUT', 'the database is not damaged; there is nothing to recover');
  const from = source === 'salvage' ? salvagedPath(path) : h.backup;
  if (!from) throw new QuireError('NOT_FOUND', 'there is no good backup of the database; keep the salvage instead (quire db salvage)');
  const staged = replacementPath(path);
  rmSync(staged, { force: true });
  copyFileSync(from, staged);
  chmodSync(staged, 0o600);
  const next = { ...h, staged: source };
  health.set(path, next);
  return next;
}

// At start, before anything reads the database: a recovery staged last time replaces the damaged file, which
// (with its WAL) is kept aside as `<name>.damaged-<time>`.
export function applyStagedRecovery(path: string): boolean {
  const staged = replacementPath(path);
  if (!existsSync(staged)) return false;
  const aside = `${path}.damaged-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  renameSync(staged, path);
  rmSync(salvagedPath(path), { force: true });
  return true;
}
