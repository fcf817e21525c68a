// A damaged app database: found at open, never written into, read as far as it can be (the rest from the
// newest good backup), the user told the way out, and that way out taken. The file is damaged three ways: a
// torn page in the middle, a destroyed header, a truncated tail.
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { QuireError, toEnvelope } from '../../../electron/common/errors.ts';
import { BACKUPS_KEPT, backUp, backupFolder, listBackups } from '../../../electron/node/db-backup.ts';
import { damageMessage, stageRecovery } from '../../../electron/node/db-recovery.ts';
import { isDamaged, migrate, openDatabase, transaction, type Db } from '../../../electron/node/db.ts';
import { runCli } from '../run-cli.ts';

const SCHEMA = [
  `CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL);
   CREATE TABLE messages (id TEXT PRIMARY KEY, conversation TEXT NOT NULL, body TEXT NOT NULL);
   CREATE TABLE anchors (doc_id TEXT NOT NULL, seq INTEGER NOT NULL, label TEXT NOT NULL, PRIMARY KEY (doc_id, seq)) WITHOUT ROWID;`,
];
const PAGE = 4096;

type Rows = Map<string, string>;
let template: string;
// Every row written, and those the backup holds.
const written: Rows = new Map();
const backedUp = new Set<string>();

function insertDocument(db: Db, i: number): void {
  const id = `doc-${i}`;
  const text = `Document ${i}. ` + 'The ferry leaves the harbour at dawn. '.repeat(40 + (i % 7));
  transaction(db, () => {
    db.prepare('INSERT INTO documents (id, title, text) VALUES (?, ?, ?)').run(id, `Title ${i}`, text);
    for (let seq = 0; seq < 3; seq++) db.prepare('INSERT INTO anchors (doc_id, seq, label) VALUES (?, ?, ?)').run(id, seq, `page ${seq + 1}`);
  });
  written.set(`documents/${id}`, text);
}

function insertMessage(db: Db, i: number): void {
  const id = `msg-${String(i).padStart(4, '0')}`;
  const body = `Question ${i}: when does the ferry leave? Answer: at dawn, from pier ${i % 9}.`;
  transaction(db, () => db.prepare('INSERT INTO messages (id, conversation, body) VALUES (?, ?, ?)').run(id, `conv-${i % 5}`, body));
  written.set(`messages/${id}`, body);
}

function readAll(db: Db): Rows {
  const rows: Rows = new Map();
  for (const r of db.prepare('SELECT id, text FROM documents').all() as { id: string; text: string }[]) rows.set(`documents/${r.id}`, r.text);
  for (const r of db.prepare('SELECT id, body FROM messages').all() as { id: string; body: string }[]) rows.set(`messages/${r.id}`, r.body);
  return rows;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'quire-db-'));
  const db = openDatabase(join(template, 'quire.db'));
  migrate(db, 'test', SCHEMA);
  for (let i = 0; i < 60; i++) insertDocument(db, i);
  for (let i = 0; i < 300; i++) insertMessage(db, i);
  await backUp(db, join(template, 'quire.db'));
  // Written after the last backup: only the damaged file has these.
  for (let i = 60; i < 80; i++) insertDocument(db, i);
  for (let i = 300; i < 400; i++) insertMessage(db, i);
  await new Promise((r) => setTimeout(r, 200));
  db.close();
  // What the newest backup holds (the writes above took rolling backups of their own).
  const newest = new DatabaseSync(listBackups(join(template, 'quire.db'))[0], { readOnly: true });
  for (const key of readAll(newest).keys()) backedUp.add(key);
  newest.close();
  expect(backedUp.size).toBeLessThan(written.size);
});

const DAMAGES: [string, (path: string) => void, number][] = [
  // One page of random bytes in the middle of the file: at most that page's rows (or one document's text
  // that ran through it) may be lost, and only rows newer than the backup.
  ['a torn page', (path) => overwrite(path, PAGE * Math.floor(statSync(path).size / PAGE / 2), randomBytes(PAGE)), 30],
  // The 100-byte header: nothing else is lost.
  ['a destroyed header', (path) => overwrite(path, 0, Buffer.alloc(100)), 0],
  // The last 40% of the file: what the backup held comes back, the newer rows in the lost tail do not.
  ['a truncated file', (path) => truncateSync(path, PAGE * Math.floor((statSync(path).size * 0.6) / PAGE)), 120],
];

function overwrite(path: string, at: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
}

describe('a damaged database', () => {
  it.each(DAMAGES)('with %s: opened read-only on what can be read, never written, the user told the way out', (_name, damage, mayLose) => {
    const dir = mkdtempSync(join(tmpdir(), 'quire-db-damaged-'));
    cpSync(template, dir, { recursive: true });
    const path = join(dir, 'quire.db');
    damage(path);
    const before = sha(path);

    const db = openDatabase(path);
    expect(isDamaged(db)).toBe(true);
    const message = damageMessage(path)!;
    expect(message).toMatch(/quire\.db is damaged/);
    expect(message).toMatch(/read-only/);
    expect(message).toMatch(/quire db salvage/);
    expect(message).toMatch(/quire db restore/);

    const rows = readAll(db);
    // Nothing read is garbage; whatever is missing is newer than the backup, and no more than the damage took.
    for (const [key, value] of rows) expect(written.get(key), key).toBe(value);
    const lost = [...written.keys()].filter((key) => !rows.has(key));
    expect(lost.filter((key) => backedUp.has(key))).toEqual([]);
    expect(lost.length, lost.join(' ')).toBeLessThanOrEqual(mayLose);

    // Writes are refused in words, by Quire's guard and by SQLite itself, and the damaged file is untouched.
    expect(() => transaction(db, () => db.prepare('INSERT INTO messages VALUES (?, ?, ?)').run('x', 'y', 'z'))).toThrow(QuireError);
    try {
      db.prepare('INSERT INTO messages VALUES (?, ?, ?)').run('x', 'y', 'z');
      expect.unreachable('a write went through');
    } catch (error) {
      expect(toEnvelope(error).code).toBe('DATABASE_DAMAGED');
    }
    db.close();
    expect(sha(path)).toBe(before);

    // The way out: keep the salvage. At the next open it is the database, sound and writable, with every row
    // that was read; the damaged file is kept aside.
    openDatabase(path).close();
    stageRecovery(path, 'salvage');
    const recovered = openDatabase(path);
    expect(isDamaged(recovered)).toBe(false);
    expect(readAll(recovered)).toEqual(rows);
    transaction(recovered, () => recovered.prepare('INSERT INTO messages VALUES (?, ?, ?)').run('after', 'c', 'a new message'));
    recovered.close();
    const aside = readdirSync(dir).find((name) => name.startsWith('quire.db.damaged-'))!;
    expect(sha(join(dir, aside))).toBe(before);
  });

  it('restores the newest good backup when asked to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quire-db-damaged-'));
    cpSync(template, dir, { recursive: true });
    const path = join(dir, 'quire.db');
    overwrite(path, 0, Buffer.alloc(100));
    openDatabase(path).close();
    stageRecovery(path, 'backup');
    const restored = openDatabase(path);
    expect([...readAll(restored).keys()].sort()).toEqual([...backedUp].sort());
    restored.close();
  });
});

describe('quire db', () => {
  it('says the database is damaged (exit 1), salvages it, then finds it sound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quire-db-cli-'));
    cpSync(template, dir, { recursive: true });
    overwrite(join(dir, 'quire.db'), 0, Buffer.alloc(100));
    const saved = process.env.QUIRE_DATA_DIR;
    process.env.QUIRE_DATA_DIR = dir;
    try {
      const status = await runCli(['db', 'status']);
      expect(status.code).toBe(1);
      expect(status.stdout).toMatch(/quire\.db is damaged \(file is not a database\)/);
      expect((await runCli(['db', 'salvage'])).code).toBe(0);
      expect(await runCli(['db', 'status'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/passed its check/) });
      expect((await runCli(['db', 'restore'])).stderr).toMatch(/^quire: INVALID_INPUT: .*nothing to recover\n$/);
    } finally {
      process.env.QUIRE_DATA_DIR = saved;
    }
  });
});

describe('rolling backups', () => {
  it('keeps the last few, 0600 in a 0700 folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quire-db-backups-'));
    const path = join(dir, 'quire.db');
    const db = openDatabase(path);
    migrate(db, 'test', SCHEMA);
    for (let i = 0; i < BACKUPS_KEPT + 2; i++) await backUp(db, path);
    db.close();
    const backups = listBackups(path);
    expect(backups.length).toBe(BACKUPS_KEPT);
    expect(statSync(backupFolder(path)).mode & 0o777).toBe(0o700);
    for (const backup of backups) expect(statSync(backup).mode & 0o777).toBe(0o600);
    // A start right after a backup makes none.
    openDatabase(path).close();
    await new Promise((r) => setTimeout(r, 200));
    expect(listBackups(path)).toEqual(backups);
  });
});
