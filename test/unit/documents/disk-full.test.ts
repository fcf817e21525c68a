// A full disk while the app runs (issue 13 point 12): every write that cannot be made answers DISK_FULL in one
// line (not SQLite's "cannot rollback - no transaction is active"), the library still lists (its token counts
// are a cache), an import stores nothing half (no rows without the kept original, no `.tmp`), and nothing
// stored before is lost. The services run in a child process on a small tmpfs filled to the last byte where
// this machine lets the test mount one (root, as here), otherwise under `ulimit -f` (RLIMIT_FSIZE: Node ignores
// SIGXFSZ, so writes past the limit fail with EFBIG), which any CI machine allows.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServices } from '../../../electron/node/app-services.ts';
import { ConversationStore } from '../../../electron/node/chat/conversations.ts';
import { openDatabase } from '../../../electron/node/db.ts';
import { DocumentStore } from '../../../electron/node/documents/store.ts';
import { databasePath } from '../../../electron/node/paths.ts';
import { makePdf } from './fixtures.ts';
import { tinyModel } from '../engine/tiny-model.ts';
import { bigPdf } from './disk-full-fixtures.ts';

const TMPFS_SIZE = '16m';
// Under ulimit: 512 KB per file holds the database and its WAL index, not the 2 MB PDF or a 4 MB message.
const FILE_SIZE_LIMIT_BLOCKS = 1024;

const base = mkdtempSync(join(tmpdir(), 'quire-disk-full-'));
const mountPoint = join(base, 'disk');
mkdirSync(mountPoint);
function mountTmpfs(): boolean {
  if (process.env.QUIRE_TEST_DISK_FULL === 'ulimit') return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0700`, 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const tmpfs = mountTmpfs();
const root = join(mountPoint, 'data');
const filler = join(mountPoint, 'filler');
const text = Array.from({ length: 2000 }, (_, i) => `Line ${i} of the book stored before the disk filled up.`).join('\n');

let modelDir: string;
let documentId: string;
let conversationId: string;

interface Outcome {
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string };
}
let outcomes: { list: Outcome; importPdf: Outcome; append: Outcome };

beforeAll(async () => {
  modelDir = await tinyModel();
  const services = createAppServices({ mode: 'browser', root, modelDir });
  const imported = await services.router('library.import', { name: 'book.txt', bytes: new TextEncoder().encode(text) });
  if (!imported.ok) throw new Error(imported.error.message);
  documentId = (imported.value as { id: string }).id;
  const db = openDatabase(databasePath(root));
  const conversations = new ConversationStore(db);
  conversationId = conversations.create([documentId], null).id;
  conversations.replaceTail(conversationId, null, [{ role: 'user', content: 'What happened before?', quotes: [], stats: null }]);
  db.close();
  await services.close();

  const driver = join(import.meta.dirname, 'disk-full-driver.ts');
  const args = [driver, root, modelDir, tmpfs ? filler : '', conversationId];
  const child = tmpfs
    ? spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 })
    : spawnSync('sh', ['-c', `ulimit -f ${FILE_SIZE_LIMIT_BLOCKS} && exec "$0" "$@"`, process.execPath, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (child.status !== 0) throw new Error(`driver failed (${child.status ?? child.signal}): ${child.stderr}`);
  outcomes = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
  rmSync(filler, { force: true });
}, 180_000);

afterAll(() => {
  if (tmpfs) spawnSync('umount', [mountPoint]);
  rmSync(base, { recursive: true, force: true });
});

describe(`a full disk (${tmpfs ? 'tmpfs' : 'ulimit -f'})`, () => {
  it('lists the library with its token counts: counting does not need the disk', () => {
    expect(outcomes.list.ok).toBe(true);
    const [entry] = outcomes.list.value as { id: string; tokens: number | null; fit: unknown }[];
    expect(entry.id).toBe(documentId);
    expect(entry.tokens).toBeGreaterThan(1000);
    expect(entry.fit).not.toBeNull();
  });

  it('refuses an import with DISK_FULL in one line and keeps nothing of it', () => {
    expect(outcomes.importPdf.ok).toBe(false);
    expect(outcomes.importPdf.error!.code).toBe('DISK_FULL');
    expect(outcomes.importPdf.error!.message).toMatch(/^(the disk is full|a file size limit was reached)[^\n]*nothing was saved/);
    const originals = join(root, 'originals');
    expect(existsSync(originals) ? readdirSync(originals) : []).toEqual([]);
  });

  it('refuses a message it cannot store with DISK_FULL, not "cannot rollback"', () => {
    expect(outcomes.append).toEqual({
      ok: false,
      error: { code: 'DISK_FULL', message: expect.stringMatching(/^the disk is full: the database could not be written; nothing was saved/) },
    });
  });

  it('loses nothing stored before; the database is intact and takes the import once there is room', async () => {
    const db = openDatabase(databasePath(root));
    expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
    const messages = new ConversationStore(db).get(conversationId)!.messages;
    expect(messages.map((m) => m.content)).toEqual(['What happened before?']);
    db.close();
    // Under ulimit nothing was filled: this process has no limit, so the room is there now in both cases.
    const services = createAppServices({ mode: 'browser', root, modelDir });
    try {
      const list = await services.router('library.list', {});
      expect(list.ok && (list.value as { id: string }[]).map((d) => d.id)).toEqual([documentId]);
      const book = await services.router('library.get', { id: documentId });
      expect(book.ok && (book.value as { text: string }).text).toBe(text);
      const again = await services.router('library.import', { name: 'big.pdf', bytes: bigPdf() });
      if (!again.ok) throw new Error(again.error.message);
      const id = (again.value as { id: string }).id;
      const original = await services.router('library.original', { id });
      expect(original.ok && (original.value as { bytes: Uint8Array }).bytes.length).toBe(bigPdf().length);
      expect(readdirSync(join(root, 'originals'))).toEqual([id]);
    } finally {
      await services.close();
    }
  });
});

// The other order of failure: the rows would fit but the kept original does not (its write fails with ENOSPC,
// as fs reports it). The rows must go too, or the library would list a PDF whose pages cannot be shown.
describe('an import whose original cannot be kept', () => {
  it('stores no rows either, and says DISK_FULL', async () => {
    const db = openDatabase(':memory:');
    const store = new DocumentStore(db);
    const removed: string[] = [];
    const noSpace = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const pdf = makePdf([{ paragraphs: [['A page whose original cannot be written.']] }]);
    const refused = await store
      .importBytes('small.pdf', pdf, {
        original: {
          keep: () => {
            throw noSpace;
          },
          remove: (id) => removed.push(id),
        },
      })
      .catch((error: unknown) => error as { code: string; message: string });
    expect(refused).toMatchObject({ code: 'DISK_FULL', message: expect.stringMatching(/^the disk is full \(no space left on the device\)/) });
    expect(store.list()).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM document_anchors').get()).toEqual({ n: 0 });
    // The failed write cleans up after itself (Originals.keep); nothing was kept for the store to remove.
    expect(removed).toEqual([]);
    db.close();
  });
});
