// One forward step of the decoder over a fixed-capacity KV cache, on either engine path. Both paths run the
// same graph with the same cache layout ([1, kvHeads, capacity, headDim] per layer, K and V), so a snapshot
// written by one restores in the other.
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { QuireError } from '../../common/errors.ts';

export type EnginePath = 'native' | 'onnxruntime-node';

export interface StepResult {
  // [keep, vocab] row-major: logits of the last `keep` positions of the step.
  logits: Float32Array;
  keep: number;
}

// Whether this backend's cache can be written to and read from a snapshot; when not, why (a device whose
// memory ORT cannot copy to the host), so a document is simply prefilled again instead of failing after it.
// onDevice: the cache lives in device memory, so a snapshot streams through a host buffer (snapshotStagingBytes).
export type SnapshotSupport = { ok: true; onDevice: boolean } | { ok: false; reason: string };

export interface Backend {
  readonly path: EnginePath;
  readonly provider: string;
  readonly capacity: number;
  readonly snapshots: SnapshotSupport;
  // Runs `ids` at positions [past, past + ids.length): GQA reads rows [0, past) and writes the new ones.
  step(ids: ArrayLike<number>, past: number, keep: number): Promise<StepResult>;
  // Stops a running step as soon as the runtime allows; the step then rejects with CANCELLED.
  cancel(): void;
  // Cache rows [0, tokens) of every head to/from a snapshot body at `offset` (layer by layer, K then V). A save
  // returns the CRC-32 of each `blockBytes` of what it wrote; a load checks those as the data streams in and
  // rejects with CORRUPT at the first mismatch (the cache then holds a partial copy).
  saveKv(file: FileHandle, path: string, offset: number, tokens: number, blockBytes: number): Promise<Uint32Array>;
  loadKv(path: string, offset: number, tokens: number, blockBytes: number, sums: Uint32Array): Promise<void>;
  release(): Promise<void>;
}

// GQA's contract (docs/design.md §3): seqlens_k = past + S − 1, total = past + S.
export function stepLengths(past: number, length: number): { seqlensK: number; total: number } {
  return { seqlensK: past + length - 1, total: past + length };
}

export const INTRA_OP_THREADS_ENV = 'QUIRE_INTRA_OP_THREADS';

// onnxruntime sizes its default intra-op pool by physical cores, which is one thread on a 2-vCPU machine: half
// of the prompt-reading speed the machine has (91 against 176 tok/s on a 1B-shaped int4 model). Both engine
// paths take their count from here: the load option, else QUIRE_INTRA_OP_THREADS, else every core this
// process may use.
export function intraOpThreads(requested?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (requested !== undefined) return requested;
  const fromEnv = env[INTRA_OP_THREADS_ENV];
  if (fromEnv === undefined || fromEnv === '') return availableParallelism();
  if (!/^[1-9]\d*$/.test(fromEnv)) throw new QuireError('INVALID_INPUT', `${INTRA_OP_THREADS_ENV} wants a positive integer, got "${fromEnv}"`);
  return Number(fromEnv);
}

// onnxruntime's intra-op threads spin while waiting for work. On cores that something else also uses (the app's
// UI, a browser, an import) a spinning thread holds the core the thread it waits for needs: on this 2-core
// machine under a load of ~9, 2 threads decoded a 1B-shaped int4 model at 2.8 tok/s spinning and 16 tok/s not
// (bench/cpu-session-options.ts). Quire's threads sleep instead; a session config that sets it wins.
export const INTRA_OP_SPINNING_KEY = 'session.intra_op.allow_spinning';
export const INTRA_OP_SPINNING = '0';
