// Whether a converted model's files are still the ones that were verified, found cheaply at every load: each
// file's size, modification time and a hash of SAMPLE_BLOCKS blocks spread over it (a few MB read, whatever the
// model's size). The identity is recorded when the model is converted (its checksums are computed from
// the very bytes written) and again after every full verification; a file that differs from it is not used
// until a full verification against quire.json's checksums passes. A write through the file system changes the
// modification time; damage that keeps it (bit rot, a restored timestamp) is caught where a sample falls.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from './manifest.ts';
import { verifyModel, type VerifyProgress, type VerifyResult } from './verify-model.ts';

export const VERIFIED_FILE = 'quire-verified.json';
const SAMPLE_BLOCKS = 16;
const SAMPLE_BYTES = 64 * 1024;

export interface FileIdentity {
  size: number;
  mtimeMs: number;
  sample: string;
}

export type WeightsIdentity = Record<string, FileIdentity>;

function sampleHash(path: string, size: number): string {
  const hash = createHash('sha256');
  const block = Buffer.alloc(SAMPLE_BYTES);
  const fd = openSync(path, 'r');
  try {
    const last = Math.max(0, size - SAMPLE_BYTES);
    for (let i = 0; i < SAMPLE_BLOCKS; i++) {
      const offset = Math.floor((last * i) / (SAMPLE_BLOCKS - 1));
      hash.update(block.subarray(0, readSync(fd, block, 0, SAMPLE_BYTES, offset)));
      if (last === 0) break;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

// The identity of the files quire.json has checksums for, as they are now; a missing file has none.
export function weightsIdentity(dir: string, files: readonly string[]): WeightsIdentity {
  const identity: WeightsIdentity = {};
  for (const file of files) {
    const path = join(dir, file);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isFile()) identity[file] = { size: stat.size, mtimeMs: stat.mtimeMs, sample: sampleHash(path, stat.size) };
  }
  return identity;
}

function readVerified(dir: string): WeightsIdentity | null {
  try {
    return JSON.parse(readFileSync(join(dir, VERIFIED_FILE), 'utf8')) as WeightsIdentity;
  } catch {
    return null;
  }
}

// Records `identity` as verified. A model folder Quire may not write to keeps no record: it is verified in full
// at each load instead.
export function recordVerified(dir: string, identity: WeightsIdentity): void {
  const path = join(dir, VERIFIED_FILE);
  try {
    writeFileSync(`${path}.tmp`, `${JSON.stringify(identity)}\n`, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  } catch {
    // Read-only folder: nothing recorded.
  }
}

// The first file whose identity differs from the verified record, or null when all match.
export function changedFile(dir: string): string | null {
  const checksums = readManifest(dir).checksums;
  if (!checksums) return null;
  const files = Object.keys(checksums);
  const verified = readVerified(dir);
  const now = weightsIdentity(dir, files);
  return files.find((file) => {
    const a = verified?.[file];
    const b = now[file];
    return !a || !b || a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.sample !== b.sample;
  }) ?? null;
}

// Verifies the model in full against quire.json's checksums (throws MODEL_CORRUPT naming the damaged file and
// the repair) and records its files as verified, unless one changed while it was read.
export async function verifyAndRecord(dir: string, options: { onProgress?: (p: VerifyProgress) => void; signal?: AbortSignal } = {}): Promise<VerifyResult> {
  const files = Object.keys(readManifest(dir).checksums ?? {});
  const before = JSON.stringify(weightsIdentity(dir, files));
  const result = await verifyModel(dir, options);
  if (result.status === 'ok' && JSON.stringify(weightsIdentity(dir, files)) === before) recordVerified(dir, JSON.parse(before) as WeightsIdentity);
  return result;
}

// Resolves once the model's files are the verified ones, verifying them in full first (with progress) when any
// changed since. Answers whether a full verification ran.
export async function ensureVerified(dir: string, options: { onProgress?: (p: VerifyProgress) => void; signal?: AbortSignal } = {}): Promise<boolean> {
  if (changedFile(dir) === null) return false;
  await verifyAndRecord(dir, options);
  return true;
}
