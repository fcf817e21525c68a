// A long read survives interruption: while a prompt that is to be saved is prefilled, its cache so far is saved
// now and then as a snapshot named like any saved prefix, so that after a cancel, a crash or a restart the next
// question restores the longest one (the prefix store finds it as it finds any) and reads on from there. A
// checkpoint costs a save of everything read so far, so one is taken only once the reading since the last has
// taken COST_FACTOR times what that save is expected to take (at the speed the last save here ran): at most
// 1/COST_FACTOR of the prefill's time goes to checkpoints. Only the newest is kept, and none once the whole
// prefix is saved.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineSession } from './engine-session.ts';
import { prefixKey, SNAPSHOT_EXTENSION } from './kv-snapshot.ts';

// Checkpoints cost at most 5% of a read. QUIRE_CHECKPOINT_COST_FACTOR changes it (0: a checkpoint after every
// chunk), for tests that stop a read at a chosen point and must find a checkpoint before it.
export const COST_FACTOR = Number(process.env.QUIRE_CHECKPOINT_COST_FACTOR ?? 20);
// A save's speed until one is measured here: a slow disk's, so the first checkpoint comes late rather than
// early (saves ran at 0.9–2.7 GB/s on this machine's disk, docs/benchmarks.md).
const DEFAULT_SAVE_BYTES_PER_SECOND = 300e6;

export class PrefillCheckpoints {
  #session: EngineSession;
  #folder: string;
  #upTo: number;
  #bytesPerToken: number;
  #onWarning: (message: string) => void;
  #costFactor: number;
  #saveBytesPerSecond = DEFAULT_SAVE_BYTES_PER_SECOND;
  #since = performance.now();
  // The checkpoint on disk now (the newest), if any.
  latest: { path: string; length: number } | null = null;

  // Checkpoints of the prompt's first `upTo` tokens (what will be saved whole at the end), in `folder`.
  constructor(session: EngineSession, folder: string, upTo: number, onWarning: (message: string) => void, costFactor = COST_FACTOR) {
    this.#costFactor = costFactor;
    this.#session = session;
    this.#folder = folder;
    this.#upTo = upTo;
    this.#bytesPerToken = session.report.kvBytesPerToken;
    this.#onWarning = onWarning;
  }

  // After each chunk: a checkpoint when the reading since the last has earned one.
  readonly onChunk = async (length: number): Promise<void> => {
    if (length >= this.#upTo) return;
    const saveSeconds = (length * this.#bytesPerToken) / this.#saveBytesPerSecond;
    if ((performance.now() - this.#since) / 1000 < this.#costFactor * saveSeconds) return;
    const path = join(this.#folder, `${prefixKey(this.#session.tokens.slice(0, length))}${SNAPSHOT_EXTENSION}`);
    const started = performance.now();
    // A checkpoint that cannot be written costs nothing but itself; the reading goes on.
    const saved = await this.#session.saveSnapshotOrWarn(path, length, { onWarning: (message) => this.#onWarning(`a checkpoint of the reading was not saved: ${message}`) });
    const seconds = (performance.now() - started) / 1000;
    if (saved) {
      this.#saveBytesPerSecond = (length * this.#bytesPerToken) / Math.max(seconds, 1e-3);
      const previous = this.latest;
      this.latest = { path, length };
      if (previous) await rm(previous.path, { force: true });
    }
    this.#since = performance.now();
  };

  // The whole prefix is saved: the checkpoint on its way there goes.
  async done(): Promise<void> {
    if (this.latest) await rm(this.latest.path, { force: true });
    this.latest = null;
  }
}
