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

export interface Backend {
  readonly path: EnginePath;
  readonly provider: string;
  readonly capacity: number;
  // Runs `ids` at positions [past, past + ids.length): GQA reads rows [0, past) and writes the new ones.
  step(ids: ArrayLike<number>, past: number, keep: number): Promise<StepResult>;
  // Stops a running step as soon as the runtime allows; the step then rejects with CANCELLED.
  cancel(): void;
  // Cache rows [0, tokens) of every head to/from a snapshot body at `offset` (layer by layer, K then V).
  saveKv(file: FileHandle, path: string, offset: number, tokens: number): Promise<void>;
  loadKv(path: string, offset: number, tokens: number): Promise<void>;
  release(): Promise<void>;
}

export const KV_INPUT = (layer: number, kind: 'key' | 'value') => `past_key_values.${layer}.${kind}`;
export const KV_OUTPUT = (layer: number, kind: 'key' | 'value') => `present.${layer}.${kind}`;

// GQA's contract (DESIGN §3): seqlens_k = past + S − 1, total = past + S.
export function stepLengths(past: number, length: number): { seqlensK: number; total: number } {
  return { seqlensK: past + length - 1, total: past + length };
}
