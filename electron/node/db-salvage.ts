// Reads what can still be read out of a damaged SQLite database into a new one (in the spirit of the sqlite3
// shell's `.recover`), and fills the tables where it met damage from a good backup. The damaged file is only
// ever read, through a private copy: nothing is written into it.
import { closeSync, copyFileSync, existsSync, openSync, readSync, rmSync, writeSync, fstatSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

export interface TableSalvage {
  table: string;
  // Rows read from the damaged file, and rows added from the backup where damage was met.
  salvaged: number;
  fromBackup: number;
  damaged: boolean;
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
// Rows read per query while walking a table in key order.
const STEP = 256;
// How far past an unreadable rowid the walk looks for the next readable one.
const MAX_ROWID_JUMP = 2 ** 40;

interface SchemaRow {
  type: string;
  name: string;
  sql: string | null;
}

export function salvageDatabase(damagedPath: string, targetPath: string, backupPath: string | null): TableSalvage[] {
  const source = `${targetPath}.source`;
  rmSync(targetPath, { force: true });
  copyPrivately(damagedPath, source);
  for (const suffix of ['-wal', '-journal']) if (existsSync(damagedPath + suffix)) copyPrivately(damagedPath + suffix, source + suffix);
  closeSync(openSync(targetPath, 'w', 0o600));
  try {
    repairHeader(source, backupPath);
    const damaged = openQuietly(source);
    const backup = backupPath ? openQuietly(backupPath, true) : null;
    const target = new DatabaseSync(targetPath);
    try {
      const schema = readSchema(damaged) ?? (backup && readSchema(backup)) ?? [];
      for (const row of schema.filter((r) => r.type === 'table')) target.exec(row.sql!);
      const report = schema.filter((r) => r.type === 'table').map((row) => copyTable(row.name, damaged, target, backup));
      for (const row of schema.filter((r) => r.type === 'index' || r.type === 'trigger' || r.type === 'view')) {
        try {
          target.exec(row.sql!);
        } catch {
          // An index that no longer holds (duplicates the damage let through) is left out; the data is what matters.
        }
      }
      return report;
    } finally {
      target.close();
      damaged?.close();
      backup?.close();
    }
  } finally {
    for (const suffix of ['', '-wal', '-journal', '-shm']) rmSync(source + suffix, { force: true });
  }
}

function copyPrivately(from: string, to: string): void {
  rmSync(to, { force: true });
  closeSync(openSync(to, 'w', 0o600));
  copyFileSync(from, to);
}

function openQuietly(path: string, readOnly = false): DatabaseSync | null {
  try {
    const db = new DatabaseSync(path, { readOnly });
    db.prepare('SELECT 1').get();
    return db;
  } catch {
    return null;
  }
}

// A file whose first 100 bytes are gone cannot be opened at all; the rest of its pages are often intact. The
// copy gets the backup's header (same page size, same encoding) or a plain one, marked so that SQLite takes the
// database's size from the file rather than from the header, and in rollback-journal mode (no WAL needed).
function repairHeader(path: string, backupPath: string | null): void {
  const fd = openSync(path, 'r+');
  try {
    const header = Buffer.alloc(100);
    readSync(fd, header, 0, 100, 0);
    if (header.subarray(0, 16).equals(MAGIC) && validPageSize(header.readUInt16BE(16))) return;
    let fresh = defaultHeader();
    if (backupPath) {
      const backupFd = openSync(backupPath, 'r');
      const copied = Buffer.alloc(100);
      readSync(backupFd, copied, 0, 100, 0);
      closeSync(backupFd);
      if (copied.subarray(0, 16).equals(MAGIC)) fresh = copied;
    }
    fresh[18] = 1;
    fresh[19] = 1;
    fresh.writeUInt32BE(fresh.readUInt32BE(24) + 1, 92);
    // Freelist unknown: none.
    fresh.writeUInt32BE(0, 32);
    fresh.writeUInt32BE(0, 36);
    if (fstatSync(fd).size >= 100) writeSync(fd, fresh, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
}

function validPageSize(size: number): boolean {
  return size === 1 || (size >= 512 && size <= 32768 && (size & (size - 1)) === 0);
}

function defaultHeader(): Buffer {
  const header = Buffer.alloc(100);
  MAGIC.copy(header, 0);
  header.writeUInt16BE(4096, 16);
  header[21] = 64;
  header[22] = 32;
  header[23] = 32;
  header.writeUInt32BE(4, 44); // schema format
  header.writeUInt32BE(1, 56); // UTF-8
  return header;
}

function readSchema(db: DatabaseSync | null): SchemaRow[] | null {
  if (!db) return null;
  try {
    const rows = db.prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'").all() as unknown as SchemaRow[];
    return rows.length ? rows : null;
  } catch {
    return null;
  }
}

// The rowid under a name no table column has (an INTEGER PRIMARY KEY column would otherwise answer for it).
const ROWID = '__salvage_rowid';
const quoteName = (name: string) => `"${name.replace(/"/g, '""')}"`;

function copyTable(table: string, damaged: DatabaseSync | null, target: DatabaseSync, backup: DatabaseSync | null): TableSalvage {
  const columns = (target.prepare(`PRAGMA table_info(${quoteName(table)})`).all() as { name: string; pk: number }[]);
  const withoutRowid = (target.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(table) as { sql: string }).sql.match(/WITHOUT\s+ROWID\s*$/i) !== null;
  const names = columns.map((c) => quoteName(c.name));
  const insert = target.prepare(`INSERT OR IGNORE INTO ${quoteName(table)} (${withoutRowid ? '' : 'rowid, '}${names.join(', ')}) VALUES (${[...(withoutRowid ? [] : ['?']), ...names.map(() => '?')].join(', ')})`);
  const report: TableSalvage = { table, salvaged: 0, fromBackup: 0, damaged: damaged === null };
  target.exec('BEGIN');
  try {
    if (damaged) {
      const keys = withoutRowid ? columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => quoteName(c.name)) : ['rowid'];
      const select = `SELECT ${withoutRowid ? '' : `rowid AS ${ROWID}, `}${names.join(', ')} FROM ${quoteName(table)}`;
      const walk = withoutRowid ? walkByKey(damaged, select, keys) : walkByRowid(damaged, select);
      for (const row of walk.rows) {
        insert.run(...(Object.values(row) as never[]));
        report.salvaged++;
      }
      report.damaged ||= walk.damaged();
    }
    if (report.damaged && backup) report.fromBackup = fillFromBackup(table, columns.map((c) => c.name), withoutRowid, backup, target);
    target.exec('COMMIT');
  } catch (error) {
    target.exec('ROLLBACK');
    throw error;
  }
  return report;
}

// Rows in rowid order; an unreadable stretch is stepped over by looking ever further ahead for a readable row.
function walkByRowid(db: DatabaseSync, select: string): { rows: Iterable<Record<string, unknown>>; damaged: () => boolean } {
  let damaged = false;
  const page = db.prepare(`${select} WHERE rowid > ? ORDER BY rowid LIMIT ?`);
  function* rows() {
    let after = -(2 ** 62);
    while (true) {
      let batch: Record<string, unknown>[];
      try {
        batch = page.all(after, STEP) as Record<string, unknown>[];
      } catch {
        damaged = true;
        batch = [];
        // Row by row up to the damage, then ever larger jumps past it.
        try {
          const one = page.all(after, 1) as Record<string, unknown>[];
          if (one.length) {
            yield one[0];
            after = Number(one[0][ROWID]);
            continue;
          }
        } catch {
          // The very next row is unreadable.
        }
        let next: number | null = null;
        for (let jump = 1; jump <= MAX_ROWID_JUMP && next === null; jump *= 2) {
          try {
            const found = page.all(after + jump, 1) as Record<string, unknown>[];
            next = found.length ? after + jump : Number.POSITIVE_INFINITY;
          } catch {
            // Still inside the damage.
          }
        }
        if (next === null || next === Number.POSITIVE_INFINITY) return;
        after = next;
        continue;
      }
      if (batch.length === 0) return;
      yield* batch;
      after = Number(batch.at(-1)![ROWID]);
    }
  }
  return { rows: rows(), damaged: () => damaged };
}

// Rows of a WITHOUT ROWID table in key order; past an unreadable row the walk goes on from the next value of
// the key's first column (the rest of that value's rows are lost with the damage).
function walkByKey(db: DatabaseSync, select: string, keys: string[]): { rows: Iterable<Record<string, unknown>>; damaged: () => boolean } {
  let damaged = false;
  const order = keys.join(', ');
  const first = db.prepare(`${select} ORDER BY ${order} LIMIT ?`);
  const after = db.prepare(`${select} WHERE (${order}) > (${keys.map(() => '?').join(', ')}) ORDER BY ${order} LIMIT ?`);
  const skip = db.prepare(`${select} WHERE ${keys[0]} > ? ORDER BY ${order} LIMIT ?`);
  const unquote = (key: string) => key.slice(1, -1).replace(/""/g, '"');
  function* rows() {
    let last: Record<string, unknown> | null = null;
    let skipping = false;
    while (true) {
      let batch: Record<string, unknown>[];
      try {
        if (!last) batch = first.all(STEP) as Record<string, unknown>[];
        else if (skipping) batch = skip.all(last[unquote(keys[0])] as never, STEP) as Record<string, unknown>[];
        else batch = after.all(...(keys.map((k) => last![unquote(k)]) as never[]), STEP) as Record<string, unknown>[];
        skipping = false;
      } catch {
        damaged = true;
        if (skipping || !last) return;
        skipping = true;
        continue;
      }
      if (batch.length === 0) return;
      yield* batch;
      last = batch.at(-1)!;
    }
  }
  return { rows: rows(), damaged: () => damaged };
}

// The backup's rows that the damaged file no longer gave, in the columns both have (the schema may have moved on
// since the backup). A row already salvaged (same key) is kept as salvaged: it is the newer.
function fillFromBackup(table: string, columns: string[], withoutRowid: boolean, backup: DatabaseSync, target: DatabaseSync): number {
  let backupColumns: string[];
  try {
    backupColumns = (backup.prepare(`PRAGMA table_info(${quoteName(table)})`).all() as { name: string }[]).map((c) => c.name);
  } catch {
    return 0;
  }
  const common = columns.filter((c) => backupColumns.includes(c)).map(quoteName);
  if (common.length === 0) return 0;
  const rowid = withoutRowid ? [] : ['rowid'];
  const selected = withoutRowid ? [] : [`rowid AS ${ROWID}`];
  const insert = target.prepare(`INSERT OR IGNORE INTO ${quoteName(table)} (${[...rowid, ...common].join(', ')}) VALUES (${[...rowid, ...common].map(() => '?').join(', ')})`);
  let added = 0;
  for (const row of backup.prepare(`SELECT ${[...selected, ...common].join(', ')} FROM ${quoteName(table)}`).iterate()) {
    added += Number(insert.run(...(Object.values(row) as never[])).changes);
  }
  return added;
}
