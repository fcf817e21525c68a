// One owner for a document's cache: the live one in the engine (LiveCache: what the engine's KV cache is known
// to hold, changed only by the calls that change it) and the saved ones (DocumentCache: where a document set's
// KV snapshot lives, how much disk all snapshots may take — the budget, enforced in the engine process after
// each save — and their removal with a document). The file format itself is kv-snapshot.ts; whether a
// provider can snapshot at all is the backend's `snapshots` capability, in the engine's load report.
//
// Layout under <data>/snapshots/: a single document's snapshots in a folder named by its id; a set of several
// documents in `set-<hash of the ids>/` with a documents.json listing them, so deleting any member finds it.
// One file per model and prompt prefix: `<hash of model id and prefix tokens>.qkv`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { QuireError } from '../../common/errors.ts';
import { snapshotsDir } from '../paths.ts';
import type { CallListeners, EngineHost } from './engine-host.ts';
import type { EngineRequest, EngineResults } from './engine-protocol.ts';
import type { DocumentSource } from './engine-session.ts';
import { SNAPSHOT_EXTENSION } from './kv-snapshot.ts';

// Document snapshots may use this much disk before the least recently used ones go.
export const SNAPSHOT_BUDGET_BYTES = 64 * 1024 ** 3;

// Document ids become folder names; anything else never reaches the file system.
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SET_PREFIX = 'set-';
const SET_MEMBERS = 'documents.json';

export interface SnapshotKey {
  documentIds: readonly string[];
  modelId: string;
  // The prompt prefix the snapshot holds: a change of template or tokenizer names a new file.
  prefix: readonly number[];
}

// What the engine's loadDocument needs to find, write and budget a snapshot.
export interface SnapshotTarget {
  snapshot: string;
  snapshotsRoot: string;
  budgetBytes: number;
}

function hash(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

export class DocumentCache {
  readonly root: string;
  readonly budgetBytes: number;

  constructor(dataRoot: string, budgetBytes = SNAPSHOT_BUDGET_BYTES) {
    this.root = snapshotsDir(dataRoot);
    this.budgetBytes = budgetBytes;
  }

  // The snapshot file for a document set, model and prefix; for a set, records its members first.
  target(key: SnapshotKey): SnapshotTarget {
    if (key.documentIds.length === 0) throw new QuireError('INVALID_INPUT', 'a snapshot needs at least one document');
    for (const id of key.documentIds) if (!SAFE_ID.test(id)) throw new QuireError('INVALID_INPUT', `invalid document id ${JSON.stringify(id)}`);
    let folder: string;
    if (key.documentIds.length === 1) {
      folder = join(this.root, key.documentIds[0]);
    } else {
      folder = join(this.root, `${SET_PREFIX}${hash(key.documentIds.join('\n'))}`);
      if (!existsSync(join(folder, SET_MEMBERS))) {
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, SET_MEMBERS), JSON.stringify(key.documentIds));
      }
    }
    const name = hash(Buffer.concat([Buffer.from(`${key.modelId}\0`), Buffer.from(Int32Array.from(key.prefix).buffer)]));
    return { snapshot: join(folder, `${name}${SNAPSHOT_EXTENSION}`), snapshotsRoot: this.root, budgetBytes: this.budgetBytes };
  }

  // Deletes every snapshot that holds document `id`: its own folder and the sets it belongs to. Snapshots are
  // derived data, so the caller deletes the document first; a crash between the two leaves only orphans.
  removeDocument(id: string): void {
    if (!SAFE_ID.test(id)) return;
    rmSync(join(this.root, id), { recursive: true, force: true });
    let folders: string[];
    try {
      folders = readdirSync(this.root).filter((name) => name.startsWith(SET_PREFIX));
    } catch {
      return;
    }
    for (const folder of folders) {
      let members: unknown;
      try {
        members = JSON.parse(readFileSync(join(this.root, folder, SET_MEMBERS), 'utf8'));
      } catch {
        members = null;
      }
      // A set folder whose member list is unreadable cannot be attributed: it goes too.
      if (!Array.isArray(members) || members.includes(id)) rmSync(join(this.root, folder), { recursive: true, force: true });
    }
  }
}

type GenerateParams = Extract<EngineRequest, { method: 'generate' }>['params'];

// What the engine's KV cache is known to hold (a prefix of it may be all that is certain), so a follow-up can
// skip even the snapshot check when the conversation already sits in the cache. Each engine call that changes
// the cache goes through here and records its effect; a failed one leaves the state unknown (empty).
export class LiveCache {
  #tokens: number[] = [];

  get tokens(): readonly number[] {
    return this.#tokens;
  }

  // Whether the whole document prefix is in the cache in front of this prompt.
  holds(prefix: readonly number[], prompt: readonly number[]): boolean {
    let n = 0;
    while (n < this.#tokens.length && n < prompt.length && this.#tokens[n] === prompt[n]) n++;
    return n >= prefix.length;
  }

  forget(): void {
    this.#tokens = [];
  }

  async loadDocument(host: EngineHost, prefix: number[], target: SnapshotTarget, listeners: CallListeners = {}): Promise<DocumentSource> {
    return this.#track(prefix, async () => {
      const source = await host.call('loadDocument', { tokens: prefix, ...target }, listeners);
      this.#tokens = prefix;
      return source;
    });
  }

  // Replaces the cache with a snapshot holding `tokens` (the API's prefix cache; the engine checks the file).
  async restore(host: EngineHost, path: string, tokens: readonly number[]): Promise<void> {
    await this.#track([], async () => {
      await host.call('restoreSnapshot', { path });
      this.#tokens = [...tokens];
    });
  }

  async sync(host: EngineHost, prompt: number[], listeners: CallListeners = {}): Promise<EngineResults['sync']> {
    return this.#track(prompt, async () => {
      const logits = await host.call('sync', { tokens: prompt }, listeners);
      this.#tokens = prompt;
      return logits;
    });
  }

  async generate(host: EngineHost, params: GenerateParams, listeners: CallListeners = {}): Promise<EngineResults['generate']> {
    const prompt = this.#tokens;
    return this.#track(prompt, async () => {
      const result = await host.call('generate', params, listeners);
      // The engine keeps every generated token but the last in its cache.
      this.#tokens = [...prompt, ...result.tokens.slice(0, -1)];
      return result;
    });
  }

  // Runs a call that moves the cache towards `target`. A cancelled call keeps what both the old state and
  // the target share (the engine rewinds only to that and keeps every completed chunk after it); any other
  // failure leaves the cache unknown.
  async #track<T>(target: readonly number[], call: () => Promise<T>): Promise<T> {
    const before = this.#tokens;
    this.#tokens = [];
    try {
      return await call();
    } catch (error) {
      if (error instanceof QuireError && error.code === 'CANCELLED') {
        let n = 0;
        while (n < before.length && n < target.length && before[n] === target[n]) n++;
        this.#tokens = before.slice(0, n);
      }
      throw error;
    }
  }
}

// Marks a snapshot as just used, for the LRU.
export async function touchSnapshot(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now);
}

export interface SnapshotFile {
  path: string;
  bytes: number;
  usedAt: number;
}

export async function listSnapshots(root: string): Promise<SnapshotFile[]> {
  const out: SnapshotFile[] = [];
  let folders: string[];
  try {
    folders = await readdir(root);
  } catch {
    return out;
  }
  for (const folder of folders) {
    let names: string[];
    try {
      names = await readdir(join(root, folder));
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith(SNAPSHOT_EXTENSION)) continue;
      const path = join(root, folder, name);
      const s = await stat(path).catch(() => null);
      if (s) out.push({ path, bytes: s.size, usedAt: s.mtimeMs });
    }
  }
  return out;
}

// Deletes least recently used snapshots under `root` (the snapshots folder) until they total at most
// `budgetBytes`; `keep` (the snapshot in use) is never deleted. Returns the deleted paths.
export async function enforceSnapshotBudget(root: string, budgetBytes: number, keep: ReadonlySet<string> = new Set()): Promise<string[]> {
  const files = (await listSnapshots(root)).sort((a, b) => a.usedAt - b.usedAt);
  let total = files.reduce((sum, f) => sum + f.bytes, 0);
  const deleted: string[] = [];
  for (const file of files) {
    if (total <= budgetBytes) break;
    if (keep.has(file.path)) continue;
    await rm(file.path, { force: true });
    total -= file.bytes;
    deleted.push(file.path);
  }
  return deleted;
}
