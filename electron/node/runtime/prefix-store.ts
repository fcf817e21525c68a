// Saved KV prefixes: one store for every prompt whose cache is worth keeping — a document set's prefix (every
// question about it starts with those tokens) and a long API prompt alike. A later prompt, in this process or
// a later one, restores the saved prefix sharing the most tokens with it and prefills only the rest, whoever
// saved it: a document's snapshot serves an API request that starts with the same document, and the reverse.
// This is the only place that names, lists, budgets and deletes the files; the engine writes and reads them
// (the format is kv-snapshot.ts) where told to, and checks each restore against the model's weights and tables.
//
// Layout under <data>/snapshots/: `<model tag>/<prefix key>.qkv`, the key being the hash of the prefix's tokens
// (so the same prefix is one file whoever saves it), and beside a document set's prefix `<key>.qkv.owners.json`,
// the ids of its documents, so that deleting a document deletes the caches made of it.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { prefixKey, readSnapshotHeader, readSnapshotTokens, SNAPSHOT_EXTENSION } from '../engine/kv-snapshot.ts';

export { prefixKey };
import { commonLength } from '../engine/token-log.ts';
import { snapshotsDir } from '../paths.ts';
import type { SavedCaches } from '../../common/contract.ts';

// Saved prefixes may use this much disk before the least recently used ones go (the user's setting's default:
// a 1M-token UltraLong-8B cache, 137 GB, is larger and is kept only if the user raises it),
export const SNAPSHOT_BUDGET_BYTES = 64e9;
// and never the disk's last tenth (other programs, and Quire's own database and documents, need room too).
const FREE_DISK_KEPT = 0.1;
const OWNERS_SUFFIX = '.owners.json';

export interface PrefixMatch {
  path: string;
  // Tokens the saved prefix shares with the prompt, from the start.
  common: number;
}

function modelTag(modelId: string): string {
  return createHash('sha256').update(modelId).digest('hex').slice(0, 16);
}

export class PrefixStore {
  readonly root: string;
  readonly #budget: () => number;
  // Per model tag, the saved prefixes' tokens by path; read from the files' headers on first use.
  #index = new Map<string, Map<string, Int32Array>>();

  // `budgetBytes` a function where the user may change it while the app runs (Settings).
  constructor(dataRoot: string, budgetBytes: number | (() => number) = SNAPSHOT_BUDGET_BYTES) {
    this.root = snapshotsDir(dataRoot);
    this.#budget = typeof budgetBytes === 'number' ? () => budgetBytes : budgetBytes;
  }

  get budgetBytes(): number {
    return this.#budget();
  }

  // Where the prefix named `key` of `modelId` is saved (whether or not it exists yet).
  path(modelId: string, key: string): string {
    return join(this.root, modelTag(modelId), `${key}${SNAPSHOT_EXTENSION}`);
  }

  // The saved prefix sharing the longest run of tokens with `prompt`, or null when none shares any. Prefixes
  // longer than `capacity` (saved under a longer context setting) cannot be restored now but stay for later.
  async longestMatch(modelId: string, prompt: ArrayLike<number>, capacity = Infinity): Promise<PrefixMatch | null> {
    let best: PrefixMatch | null = null;
    for (const [path, tokens] of await this.#entries(modelId)) {
      if (tokens.length > capacity) continue;
      const common = commonLength(tokens, prompt);
      if (common > (best?.common ?? 0)) best = { path, common };
    }
    return best;
  }

  // The room saved prefixes have: the budget, or less where the disk holds less (what they take now plus what is
  // free, keeping the disk's last tenth free).
  async room(): Promise<number> {
    return (await this.usage()).roomBytes;
  }

  // What saved prefixes take now, the room they have and the disk's free space (null where it cannot be read).
  async usage(): Promise<SavedCaches> {
    const files = await listSnapshots(this.root);
    const usedBytes = files.reduce((n, f) => n + f.bytes, 0);
    try {
      mkdirSync(this.root, { recursive: true });
      const disk = statfsSync(this.root);
      const diskFreeBytes = disk.bavail * disk.bsize;
      const roomBytes = Math.max(0, Math.min(this.budgetBytes, usedBytes + diskFreeBytes - FREE_DISK_KEPT * disk.blocks * disk.bsize));
      return { usedBytes, files: files.length, roomBytes, diskFreeBytes };
    } catch {
      return { usedBytes, files: files.length, roomBytes: this.budgetBytes, diskFreeBytes: null };
    }
  }

  // Keeps the saved prefixes within the room they have now (after the user lowered the limit).
  async trim(): Promise<string[]> {
    const evicted = await enforceSnapshotBudget(this.root, await this.room());
    for (const gone of evicted) this.#forget(gone);
    return evicted;
  }

  // Deletes every saved prefix; returns how many there were.
  async clear(): Promise<number> {
    const evicted = await enforceSnapshotBudget(this.root, 0);
    for (const gone of evicted) this.#forget(gone);
    return evicted.length;
  }

  // Records a prefix the engine has saved (with the documents it was made of, if any), then keeps all saved
  // prefixes within the budget, least recently used first; this one stays.
  async saved(modelId: string, path: string, tokens: ArrayLike<number>, owners: readonly string[] = []): Promise<string[]> {
    (await this.#entries(modelId)).set(path, Int32Array.from(tokens));
    if (owners.length > 0) writeFileSync(`${path}${OWNERS_SUFFIX}`, JSON.stringify(owners));
    const evicted = await enforceSnapshotBudget(this.root, await this.room(), new Set([path]));
    for (const gone of evicted) this.#forget(gone);
    return evicted;
  }

  // Marks a saved prefix as just used, for the LRU.
  async restored(path: string): Promise<void> {
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
  }

  // Drops a prefix the engine refused (damaged, or made for other weights under the same model id).
  async discard(path: string): Promise<void> {
    this.#forget(path);
    await rm(path, { force: true });
    await rm(`${path}${OWNERS_SUFFIX}`, { force: true });
  }

  // Deletes every saved prefix made of document `id`. Saved prefixes are derived data, so the caller deletes the
  // document first; a crash between the two leaves only files that the budget evicts in time.
  removeDocument(id: string): void {
    for (const { path, owners } of this.#ownedFiles()) {
      // A member list that cannot be read cannot be attributed: that prefix goes too.
      if (owners === null || owners.includes(id)) {
        this.#forget(path);
        rmSync(path, { force: true });
        rmSync(`${path}${OWNERS_SUFFIX}`, { force: true });
      }
    }
  }

  #forget(path: string): void {
    for (const entries of this.#index.values()) entries.delete(path);
  }

  *#ownedFiles(): Generator<{ path: string; owners: string[] | null }> {
    for (const folder of safeList(this.root)) {
      for (const name of safeList(join(this.root, folder))) {
        if (!name.endsWith(OWNERS_SUFFIX)) continue;
        const list = join(this.root, folder, name);
        let owners: unknown;
        try {
          owners = JSON.parse(readFileSync(list, 'utf8'));
        } catch {
          owners = null;
        }
        yield { path: list.slice(0, -OWNERS_SUFFIX.length), owners: Array.isArray(owners) ? (owners as string[]) : null };
      }
    }
  }

  async #entries(modelId: string): Promise<Map<string, Int32Array>> {
    const tag = modelTag(modelId);
    const folder = join(this.root, tag);
    const files = () => safeList(folder).filter((name) => name.endsWith(SNAPSHOT_EXTENSION)).map((name) => join(folder, name));
    mkdirSync(folder, { recursive: true });
    let index = this.#index.get(tag);
    if (!index) {
      index = new Map();
      this.#index.set(tag, index);
    }
    // What another process sharing the data folder evicted (the CLI beside the app) goes; what it or an engine
    // that died mid-read (its checkpoints) wrote comes in.
    const present = new Set(files());
    for (const path of index.keys()) if (!present.has(path)) index.delete(path);
    for (const path of present) {
      if (index.has(path)) continue;
      try {
        index.set(path, await readSnapshotTokens(path, await readSnapshotHeader(path)));
      } catch {
        // An unreadable header or token list makes the file useless: it goes now rather than at eviction (a file
        // still being written is never seen: snapshots are renamed into place whole).
        await rm(path, { force: true });
      }
    }
    return index;
  }
}

function safeList(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

export interface SnapshotFile {
  path: string;
  bytes: number;
  usedAt: number;
}

export async function listSnapshots(root: string): Promise<SnapshotFile[]> {
  const out: SnapshotFile[] = [];
  for (const folder of await readdir(root).catch(() => [] as string[])) {
    for (const name of await readdir(join(root, folder)).catch(() => [] as string[])) {
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
    await rm(`${file.path}${OWNERS_SUFFIX}`, { force: true });
    total -= file.bytes;
    deleted.push(file.path);
  }
  return deleted;
}
