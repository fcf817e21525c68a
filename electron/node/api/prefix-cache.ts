// The API's prefix cache on disk: KV snapshots of long prompts under <data>/snapshots/api/, each holding the
// prompt's token ids in its header (kv-snapshot.ts), so that a later request — also in a later process —
// whose prompt starts the same way restores the snapshot, rewinds to the common length and prefills only the
// rest. Quire's prompt layout (documents first) makes every question about a document share that prefix.
// The files count against the documents' snapshot budget and are evicted with them, least recently used
// first (document-cache.ts); the engine checks each restore against the model and the CRCs.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DocumentCache, enforceSnapshotBudget } from '../engine/document-cache.ts';
import { readSnapshotHeader, readSnapshotTokens, SNAPSHOT_EXTENSION, tokenHash } from '../engine/kv-snapshot.ts';

// A prompt this long is worth a snapshot: below it, prefilling again costs less than the file's disk and I/O.
export const API_SNAPSHOT_MIN_TOKENS = 1024;
// The folder under <data>/snapshots/ (one level deep, where the budget's listing finds the files).
export const API_SNAPSHOT_FOLDER = 'api';

export interface PrefixMatch {
  path: string;
  // Tokens the snapshot shares with the prompt, from the start.
  common: number;
  tokens: readonly number[];
}

export function commonLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

export class PrefixCache {
  readonly folder: string;
  #budget: DocumentCache;
  // The model's file-name prefix: snapshots of other models in the folder are never read.
  #modelTag: string;
  // The saved prompts, by file; read from the files' headers on first use.
  #index: Map<string, Int32Array> | null = null;

  constructor(dataRoot: string, modelId: string) {
    this.#budget = new DocumentCache(dataRoot);
    this.folder = join(this.#budget.root, API_SNAPSHOT_FOLDER);
    this.#modelTag = createHash('sha256').update(modelId).digest('hex').slice(0, 16);
  }

  // The saved prompt sharing the longest prefix with `prompt`, or null when none shares any. Snapshots longer
  // than `capacity` (saved under a longer context setting) cannot be restored now but stay for later.
  async longestMatch(prompt: readonly number[], capacity = Infinity): Promise<PrefixMatch | null> {
    let best: PrefixMatch | null = null;
    for (const [path, tokens] of await this.#entries()) {
      if (tokens.length > capacity) continue;
      const common = commonLength(tokens, prompt);
      if (common > (best?.common ?? 0)) best = { path, common, tokens: Array.from(tokens) };
    }
    return best;
  }

  // Where the snapshot of `prompt` goes, or null when one of exactly that prompt is already saved.
  async pathFor(prompt: readonly number[]): Promise<string | null> {
    const path = join(this.folder, `${this.#modelTag}-${tokenHash(prompt).slice(0, 24)}${SNAPSHOT_EXTENSION}`);
    return (await this.#entries()).has(path) ? null : path;
  }

  // Records a snapshot the engine has written, then keeps all snapshots within the budget (this one stays).
  async saved(path: string, prompt: readonly number[]): Promise<void> {
    (await this.#entries()).set(path, Int32Array.from(prompt));
    const evicted = await enforceSnapshotBudget(this.#budget.root, this.#budget.budgetBytes, new Set([path]));
    for (const gone of evicted) this.#index?.delete(gone);
  }

  // Drops a snapshot the engine refused (damaged, or made for other weights under the same model id).
  async discard(path: string): Promise<void> {
    this.#index?.delete(path);
    await rm(path, { force: true });
  }

  async #entries(): Promise<Map<string, Int32Array>> {
    if (this.#index) {
      // Evicted by another process sharing the data folder (the app, a document's budget run).
      const present = new Set(this.#files());
      for (const path of this.#index.keys()) if (!present.has(path)) this.#index.delete(path);
      return this.#index;
    }
    const index = new Map<string, Int32Array>();
    for (const path of this.#files()) {
      try {
        index.set(path, await readSnapshotTokens(path, await readSnapshotHeader(path)));
      } catch {
        // An unreadable header or token list makes the file useless: it goes now rather than at eviction.
        await rm(path, { force: true });
      }
    }
    this.#index = index;
    return index;
  }

  #files(): string[] {
    mkdirSync(this.folder, { recursive: true });
    return readdirSync(this.folder)
      .filter((name) => name.startsWith(`${this.#modelTag}-`) && name.endsWith(SNAPSHOT_EXTENSION))
      .map((name) => join(this.folder, name));
  }
}
