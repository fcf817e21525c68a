// Checks a converted model folder against the checksum of each file that the conversion recorded in quire.json
// (BLAKE3, or sha256 in a manifest written before it: file-checksum.ts).
// A damaged byte in the weights otherwise shows only as garbage answers; this finds it and says how to repair.
// Streams each file (a 16 GB data file is never held in memory) and reports progress by bytes.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QuireError } from '../electron/common/errors.ts';
import { checksumHasher } from './file-checksum.ts';
import { readManifest } from './manifest.ts';
import type { HashAlgorithm } from './model-spec.ts';

export interface VerifyProgress {
  file: string;
  doneBytes: number;
  totalBytes: number;
}

export type VerifyResult =
  // Every recorded file matches.
  | { status: 'ok'; files: string[]; bytes: number }
  // Converted before checksums were recorded: nothing to compare with.
  | { status: 'unchecked'; reason: string };

// A progress report per this many bytes read (and the first and the last), not per chunk read: a 16 GB model
// would otherwise send thousands of events to the screen.
export const VERIFY_PROGRESS_BYTES = 64e6;

export function throttledProgress(report: (p: VerifyProgress) => void, everyBytes = VERIFY_PROGRESS_BYTES): (p: VerifyProgress) => void {
  let reported = -Infinity;
  return (p) => {
    if (p.doneBytes - reported < everyBytes && p.doneBytes < p.totalBytes) return;
    reported = p.doneBytes;
    report(p);
  };
}

async function fileChecksum(path: string, algorithm: HashAlgorithm, onBytes: (n: number) => void, signal?: AbortSignal): Promise<string> {
  const hash = checksumHasher(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20, signal })) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  }
  return hash.digest();
}

// Resolves when the folder is intact; throws MODEL_CORRUPT naming the first damaged or missing file and the
// way to repair it.
export async function verifyModel(dir: string, options: { onProgress?: (p: VerifyProgress) => void; signal?: AbortSignal } = {}): Promise<VerifyResult> {
  const manifest = readManifest(dir);
  const checksums = manifest.checksums;
  if (!checksums) return { status: 'unchecked', reason: 'this model was converted before Quire recorded checksums; convert it again to be able to verify it' };
  const repair = `convert the model again (quire convert, or remove and install it from the Models screen)`;
  const files = Object.keys(checksums);
  const sizes: number[] = [];
  for (const file of files) {
    const s = await stat(join(dir, file)).catch(() => null);
    if (!s?.isFile()) throw new QuireError('MODEL_CORRUPT', `${file} is missing from ${dir}; ${repair}`);
    sizes.push(s.size);
  }
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  let doneBytes = 0;
  for (const file of files) {
    const sum = await fileChecksum(join(dir, file), manifest.checksumAlgorithm ?? 'sha256', (n) => {
      doneBytes += n;
      options.onProgress?.({ file, doneBytes, totalBytes });
    }, options.signal).catch((error: Error) => {
      if (error.name === 'AbortError') throw new QuireError('CANCELLED', 'verification cancelled');
      throw new QuireError('MODEL_CORRUPT', `${file} in ${dir} cannot be read (${error.message.split('\n')[0]}); ${repair}`);
    });
    if (sum !== checksums[file]) throw new QuireError('MODEL_CORRUPT', `${file} in ${dir} does not match the checksum recorded when it was converted; ${repair}`);
  }
  return { status: 'ok', files, bytes: totalBytes };
}
