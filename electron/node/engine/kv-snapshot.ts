// Document snapshots: the KV cache of a token prefix saved to disk so reopening a document, or restarting
// the app, restores instead of re-prefilling. Cached keys are already rotated, so a snapshot is only valid
// for the same weights (model hash), the same RoPE tables (rope hash) and the same KV dtype.
//
// File: magic, version, header length, JSON header, zero padding to DATA_ALIGNMENT, then the prompt tokens
// (int32) and, per layer, K then V as [kvHeads, tokenCount, rowBytes] — the prefix of each head's rows of
// the in-memory [1, kvHeads, capacity, rowBytes] cache, so either engine path can copy head by head.
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, utimes, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { QuireError } from '../../common/errors.ts';
import { KV_DTYPE_BITS, KV_DTYPES, type KvDtype } from './memory-planner.ts';

export const SNAPSHOT_MAGIC = 'QUIREKV\0';
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_EXTENSION = '.qkv';
// Page-aligned body so the native addon can read and write it with O_DIRECT-friendly offsets.
export const DATA_ALIGNMENT = 4096;
const PREAMBLE_BYTES = 16; // magic (8) + version (u32) + header length (u32)

export interface KvLayout {
  layers: number;
  kvHeads: number;
  headDim: number;
  kvDtype: KvDtype;
}

export interface SnapshotHeader extends KvLayout {
  modelHash: string;
  ropeHash: string;
  tokenCount: number;
  tokenHash: string;
  // Bytes per cached row of one head (headDim elements at kvDtype).
  rowBytes: number;
  dataOffset: number;
}

export function rowBytes(layout: Pick<KvLayout, 'headDim' | 'kvDtype'>): number {
  return Math.ceil((layout.headDim * KV_DTYPE_BITS[layout.kvDtype]) / 8);
}

export function tokenHash(tokens: ArrayLike<number>): string {
  return createHash('sha256').update(new Uint8Array(Int32Array.from(tokens).buffer)).digest('hex');
}

export function snapshotBodyBytes(header: Pick<SnapshotHeader, 'layers' | 'kvHeads' | 'tokenCount' | 'rowBytes'>): number {
  return header.tokenCount * 4 + 2 * header.layers * header.kvHeads * header.tokenCount * header.rowBytes;
}

// One file per (document, model, rope tables, dtype): a document can hold snapshots for several models.
export function snapshotPath(documentDir: string, key: Pick<SnapshotHeader, 'modelHash' | 'ropeHash' | 'kvDtype'>): string {
  const id = createHash('sha256').update(`${key.modelHash}\n${key.ropeHash}\n${key.kvDtype}`).digest('hex').slice(0, 24);
  return join(documentDir, `${id}${SNAPSHOT_EXTENSION}`);
}

export function makeHeader(
  layout: KvLayout,
  identity: { modelHash: string; ropeHash: string },
  tokens: ArrayLike<number>,
): SnapshotHeader {
  const base = { ...layout, ...identity, tokenCount: tokens.length, tokenHash: tokenHash(tokens), rowBytes: rowBytes(layout) };
  const json = Buffer.byteLength(JSON.stringify({ ...base, dataOffset: 0 }));
  // dataOffset's own digits change the JSON length; reserve 16 digits.
  const dataOffset = Math.ceil((PREAMBLE_BYTES + json + 16) / DATA_ALIGNMENT) * DATA_ALIGNMENT;
  return { ...base, dataOffset };
}

function encodeHeader(header: SnapshotHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(header.dataOffset);
  out.write(SNAPSHOT_MAGIC, 0, 'latin1');
  out.writeUInt32LE(SNAPSHOT_VERSION, 8);
  out.writeUInt32LE(json.length, 12);
  if (PREAMBLE_BYTES + json.length > header.dataOffset) throw new QuireError('INTERNAL', 'snapshot header overflows its data offset');
  json.copy(out, PREAMBLE_BYTES);
  return out;
}

// Writes `body` after the header into a temporary file, fsyncs it and renames it into place, so a crash or a
// full disk never leaves a half snapshot under the real name. `writeBody` gets the temporary path and the
// body offset; it may write through its own handle (the native addon) or the one it is given.
export async function writeSnapshot(
  path: string,
  header: SnapshotHeader,
  tokens: ArrayLike<number>,
  writeBody: (file: FileHandle, tmpPath: string, tensorsOffset: number) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const file = await open(tmp, 'w');
  try {
    await file.write(encodeHeader(header), 0, header.dataOffset, 0);
    const tokenBytes = new Uint8Array(Int32Array.from(tokens).buffer);
    await file.write(tokenBytes, 0, tokenBytes.length, header.dataOffset);
    await writeBody(file, tmp, header.dataOffset + tokenBytes.length);
    const size = (await file.stat()).size;
    const expected = header.dataOffset + snapshotBodyBytes(header);
    if (size !== expected) throw new QuireError('INTERNAL', `snapshot body is ${size} bytes, expected ${expected}`);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await file.close();
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  await dir.sync().finally(() => dir.close());
}

export async function readSnapshotHeader(path: string): Promise<SnapshotHeader> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch {
    throw new QuireError('NOT_FOUND', `no snapshot at ${path}`);
  }
  try {
    const size = (await file.stat()).size;
    const preamble = Buffer.alloc(PREAMBLE_BYTES);
    await file.read(preamble, 0, PREAMBLE_BYTES, 0);
    if (preamble.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new QuireError('CORRUPT', 'not a Quire KV snapshot');
    const version = preamble.readUInt32LE(8);
    if (version !== SNAPSHOT_VERSION) throw new QuireError('SNAPSHOT_MISMATCH', `snapshot version ${version}, this build reads ${SNAPSHOT_VERSION}`);
    const length = preamble.readUInt32LE(12);
    if (length > DATA_ALIGNMENT * 16 || PREAMBLE_BYTES + length > size) throw new QuireError('CORRUPT', 'snapshot header is truncated');
    const json = Buffer.alloc(length);
    await file.read(json, 0, length, PREAMBLE_BYTES);
    let header: SnapshotHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as SnapshotHeader;
    } catch {
      throw new QuireError('CORRUPT', 'snapshot header is not valid JSON');
    }
    if (!KV_DTYPES.includes(header.kvDtype) || !Number.isInteger(header.tokenCount) || header.rowBytes !== rowBytes(header)) {
      throw new QuireError('CORRUPT', 'snapshot header has invalid fields');
    }
    if (size !== header.dataOffset + snapshotBodyBytes(header)) throw new QuireError('CORRUPT', `snapshot is ${size} bytes, header says ${header.dataOffset + snapshotBodyBytes(header)}`);
    return header;
  } finally {
    await file.close();
  }
}

// Refuses a snapshot made for other weights, RoPE tables, dtype or shapes, naming the first difference.
export function checkSnapshot(header: SnapshotHeader, expected: KvLayout & { modelHash: string; ropeHash: string }): void {
  const fields = ['modelHash', 'ropeHash', 'kvDtype', 'layers', 'kvHeads', 'headDim'] as const;
  for (const field of fields) {
    if (header[field] !== expected[field]) {
      throw new QuireError('SNAPSHOT_MISMATCH', `snapshot ${field} is ${header[field]}, the loaded model has ${expected[field]}`);
    }
  }
}

export async function readSnapshotTokens(path: string, header: SnapshotHeader): Promise<Int32Array> {
  const file = await open(path, 'r');
  try {
    const tokens = new Int32Array(header.tokenCount);
    await file.read(new Uint8Array(tokens.buffer), 0, tokens.byteLength, header.dataOffset);
    if (tokenHash(tokens) !== header.tokenHash) throw new QuireError('CORRUPT', 'snapshot tokens do not match their hash');
    return tokens;
  } finally {
    await file.close();
  }
}

export function tensorsOffset(header: SnapshotHeader): number {
  return header.dataOffset + header.tokenCount * 4;
}

// The JS-path body: per layer, K then V, each head's first `tokens` rows of a [kvHeads, capacity, rowBytes]
// cache. `cache(layer, kind)` returns that cache's bytes.
export type CacheView = (layer: number, kind: 0 | 1) => Uint8Array;

// Visits the body's spans in file order: the cache bytes, the offset in them, the length, the file position.
async function forEachSpan(
  offset: number,
  layout: KvLayout,
  tokens: number,
  capacity: number,
  cache: CacheView,
  visit: (bytes: Uint8Array, at: number, length: number, position: number) => Promise<void>,
): Promise<void> {
  const row = rowBytes(layout);
  const headBytes = tokens * row;
  let position = offset;
  for (let layer = 0; layer < layout.layers; layer++) {
    for (const kind of [0, 1] as const) {
      const bytes = cache(layer, kind);
      for (let h = 0; h < layout.kvHeads; h++) {
        await visit(bytes, h * capacity * row, headBytes, position);
        position += headBytes;
      }
    }
  }
}

export async function writeCacheBody(file: FileHandle, offset: number, layout: KvLayout, tokens: number, capacity: number, cache: CacheView): Promise<void> {
  await forEachSpan(offset, layout, tokens, capacity, cache, async (bytes, at, length, position) => {
    await file.write(bytes, at, length, position);
  });
}

export async function readCacheBody(path: string, offset: number, layout: KvLayout, tokens: number, capacity: number, cache: CacheView): Promise<void> {
  if (tokens > capacity) throw new QuireError('DOES_NOT_FIT', `snapshot holds ${tokens} tokens, the context is ${capacity}`);
  const file = await open(path, 'r');
  try {
    await forEachSpan(offset, layout, tokens, capacity, cache, async (bytes, at, length, position) => {
      const { bytesRead } = await file.read(bytes, at, length, position);
      if (bytesRead !== length) throw new QuireError('CORRUPT', 'snapshot body is truncated');
    });
  } finally {
    await file.close();
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
  let documents: string[];
  try {
    documents = await readdir(root);
  } catch {
    return out;
  }
  for (const document of documents) {
    let names: string[];
    try {
      names = await readdir(join(root, document));
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith(SNAPSHOT_EXTENSION)) continue;
      const path = join(root, document, name);
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
