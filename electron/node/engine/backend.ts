// One forward step of the decoder over a fixed-capacity KV cache, on either engine path. Both paths run the
// same graph with the same cache layout ([1, kvHeads, capacity, headDim] per layer, K and V), so a snapshot
// written by one restores in the other.
import type { FileHandle } from 'node:fs/promises';

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
