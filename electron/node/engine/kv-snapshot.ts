// Document snapshots: the KV cache of a token prefix saved to disk so reopening a document, or restarting
// the app, restores instead of re-prefilling. Cached keys are already rotated, so a snapshot is only valid
// for the same weights (model hash), the same RoPE tables (rope hash) and the same KV dtype.
//
// File: magic, version, header length, CRC-32 of the JSON header, JSON header, zero padding to
// DATA_ALIGNMENT, then the prompt tokens (int32, covered by the header's tokenHash) and, per layer, K then V
// as [kvHeads, tokenCount, rowBytes] — the prefix of each head's rows of the in-memory [1, kvHeads, capacity,
// rowBytes] cache, so either engine path can copy head by head — and last a trailer of one CRC-32 (u32 LE) per
// BLOCK_BYTES of that tensor data. Every region is checked on the way in, the tensors while they stream into
// the cache, so a damaged snapshot is refused (CORRUPT) instead of answering from garbage.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { QuireError } from '../../common/errors.ts';
import { KV_DTYPES, kvRowBytes, type KvDtype } from '../../../models/model-spec.ts';
import { sumBlocksAside } from './block-sum-workers.ts';

export const SNAPSHOT_MAGIC = 'QUIREKV\0';
// 2: header CRC in the preamble, block checksums of the tensor data in a trailer.
export const SNAPSHOT_VERSION = 2;
export const SNAPSHOT_EXTENSION = '.qkv';
// Page-aligned body so the native addon can read and write it with O_DIRECT-friendly offsets.
export const DATA_ALIGNMENT = 4096;
const PREAMBLE_BYTES = 24; // magic (8) + version (u32) + header length (u32) + header CRC (u32) + zero (u32)
// Tensor data is checksummed in blocks of this size: small enough that a restore checks as it streams, large
// enough that the trailer stays under a megabyte for a 256 GB cache.
export const BLOCK_BYTES = 1 << 20;

export interface KvLayout {
  layers: number;
  kvHeads: number;
  headDim: number;
  kvDtype: KvDtype;
  // An int8/int4 cache in WebGPU's own quantization: each row holds a scale and the packed values
  // (model-spec.ts KvQuant), so its rows are longer than kvDtype alone says.
  kvQuant?: 'webgpu';
}

export interface SnapshotHeader extends KvLayout {
  modelHash: string;
  ropeHash: string;
  tokenCount: number;
  tokenHash: string;
  // Bytes per cached row of one head (headDim elements at kvDtype).
  rowBytes: number;
  // Size of the checksummed blocks of the tensor data.
  blockBytes: number;
  dataOffset: number;
}

export function rowBytes(layout: Pick<KvLayout, 'headDim' | 'kvDtype' | 'kvQuant'>): number {
  // A WebGPU row's bytes do not depend on the io dtype (only its element count does).
  return kvRowBytes(layout.headDim, layout.kvQuant === 'webgpu' ? { kv: layout.kvDtype, io: 'fp32', quant: 'webgpu' } : layout.kvDtype);
}

// The name of a saved prefix: the same tokens are the same file everywhere (the prefix store, the engine's
// checkpoints, the key of the prefix the engine holds).
export function prefixKey(tokens: ArrayLike<number>): string {
  return tokenHash(tokens).slice(0, 32);
}

export function tokenHash(tokens: ArrayLike<number>): string {
  return createHash('sha256').update(new Uint8Array(Int32Array.from(tokens).buffer)).digest('hex');
}

type Sizes = Pick<SnapshotHeader, 'layers' | 'kvHeads' | 'tokenCount' | 'rowBytes' | 'blockBytes'>;

export function tensorBytes(header: Omit<Sizes, 'blockBytes'>): number {
  return 2 * header.layers * header.kvHeads * header.tokenCount * header.rowBytes;
}

export function blockCount(header: Sizes): number {
  return Math.ceil(tensorBytes(header) / header.blockBytes);
}

// Everything after the header: tokens, tensor data and its block checksums.
export function snapshotBodyBytes(header: Sizes): number {
  return header.tokenCount * 4 + tensorBytes(header) + 4 * blockCount(header);
}

export function makeHeader(
  layout: KvLayout,
  identity: { modelHash: string; ropeHash: string },
  tokens: ArrayLike<number>,
): SnapshotHeader {
  const base = { ...layout, ...identity, tokenCount: tokens.length, tokenHash: tokenHash(tokens), rowBytes: rowBytes(layout), blockBytes: BLOCK_BYTES };
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
  out.writeUInt32LE(crc32(json), 16);
  if (PREAMBLE_BYTES + json.length > header.dataOffset) throw new QuireError('INTERNAL', 'snapshot header overflows its data offset');
  json.copy(out, PREAMBLE_BYTES);
  return out;
}

// Writes `body` after the header into a temporary file, fsyncs it and renames it into place, so a crash or a
// full disk never leaves a half snapshot under the real name. `writeBody` gets the temporary path and the
// tensor data offset, may write through its own handle (the native addon) or the one it is given, and
// returns the CRC-32 of each header.blockBytes of what it wrote, which go into the trailer.
export async function writeSnapshot(
  path: string,
  header: SnapshotHeader,
  tokens: ArrayLike<number>,
  writeBody: (file: FileHandle, tmpPath: string, tensorsOffset: number) => Promise<Uint32Array>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const file = await open(tmp, 'w');
  try {
    await file.write(encodeHeader(header), 0, header.dataOffset, 0);
    const tokenBytes = new Uint8Array(Int32Array.from(tokens).buffer);
    await file.write(tokenBytes, 0, tokenBytes.length, header.dataOffset);
    const sums = await writeBody(file, tmp, header.dataOffset + tokenBytes.length);
    const written = (await file.stat()).size;
    if (written !== trailerOffset(header)) throw new QuireError('INTERNAL', `snapshot body is ${written} bytes, expected ${trailerOffset(header)}`);
    if (sums.length !== blockCount(header)) throw new QuireError('INTERNAL', `snapshot body has ${sums.length} checksums, expected ${blockCount(header)}`);
    const trailer = Buffer.alloc(4 * sums.length);
    sums.forEach((sum, i) => trailer.writeUInt32LE(sum, 4 * i));
    await file.write(trailer, 0, trailer.length, trailerOffset(header));
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
    if (crc32(json) !== preamble.readUInt32LE(16)) throw new QuireError('CORRUPT', 'snapshot header fails its checksum');
    let header: SnapshotHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as SnapshotHeader;
    } catch {
      throw new QuireError('CORRUPT', 'snapshot header is not valid JSON');
    }
    const positive = (n: unknown) => Number.isSafeInteger(n) && (n as number) > 0;
    if (
      !KV_DTYPES.includes(header.kvDtype) ||
      !Number.isInteger(header.tokenCount) ||
      ![header.layers, header.kvHeads, header.headDim, header.blockBytes, header.dataOffset].every(positive) ||
      header.rowBytes !== rowBytes(header)
    ) {
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

function trailerOffset(header: SnapshotHeader): number {
  return tensorsOffset(header) + tensorBytes(header);
}

// The block checksums the tensor data must match, read before the data so each block is checked as it lands.
export async function readBlockSums(path: string, header: SnapshotHeader): Promise<Uint32Array> {
  const file = await open(path, 'r');
  try {
    const bytes = Buffer.alloc(4 * blockCount(header));
    const { bytesRead } = await file.read(bytes, 0, bytes.length, trailerOffset(header));
    if (bytesRead !== bytes.length) throw new QuireError('CORRUPT', 'snapshot checksums are truncated');
    return Uint32Array.from({ length: blockCount(header) }, (_, i) => bytes.readUInt32LE(4 * i));
  } finally {
    await file.close();
  }
}

// The tensor data as one stream cut into fixed-size blocks with a CRC-32 each, wherever head and tensor
// boundaries fall; the native addon (BlockSums in quire_ort.cc) cuts and sums the same way.
export class BlockSums {
  readonly sums: number[] = [];
  #crc = 0;
  #filled = 0;
  readonly #blockBytes: number;
  readonly #expected: Uint32Array | null;

  constructor(blockBytes: number, expected: Uint32Array | null = null) {
    this.#blockBytes = blockBytes;
    this.#expected = expected;
  }

  // Throws CORRUPT at the first completed block that differs from the expected sums.
  feed(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) {
      const take = Math.min(bytes.length - at, this.#blockBytes - this.#filled);
      this.#crc = crc32(bytes.subarray(at, at + take), this.#crc);
      this.#filled += take;
      at += take;
      if (this.#filled === this.#blockBytes) this.#close();
    }
  }

  // Sums of whole blocks computed elsewhere (block-sum-workers.ts), the next ones of the stream.
  take(sums: Uint32Array): void {
    for (const sum of sums) {
      this.#crc = sum;
      this.#close();
    }
  }

  finish(): Uint32Array {
    if (this.#filled > 0) this.#close();
    if (this.#expected && this.#expected.length !== this.sums.length) throw new QuireError('CORRUPT', 'snapshot has the wrong number of checksums');
    return Uint32Array.from(this.sums);
  }

  #close(): void {
    const i = this.sums.length;
    this.sums.push(this.#crc);
    this.#crc = 0;
    this.#filled = 0;
    if (this.#expected && this.#expected[i] !== this.sums[i]) throw new QuireError('CORRUPT', `snapshot block ${i} fails its checksum`);
  }
}

// The JS-path body: per layer, K then V, each head's first `tokens` rows of a [kvHeads, capacity, rowBytes]
// cache. `cache(layer, kind)` returns that cache's bytes.
export type CacheView = (layer: number, kind: 0 | 1) => Uint8Array;

// The file moves in pieces of this many checksum blocks (16 MiB at BLOCK_BYTES): one vectored call over the
// head spans a piece covers, large enough that a call costs nothing beside its bytes. The native addon
// (kBlocksPerIo in quire_ort.cc) cuts the same pieces.
export const BLOCKS_PER_IO = 16;

interface Piece {
  position: number;
  parts: Uint8Array[];
}

// The body's head spans in file order, cut at every BLOCKS_PER_IO blocks of the body, so a piece is whole
// blocks wherever the head and tensor boundaries fall.
function bodyPieces(offset: number, layout: KvLayout, tokens: number, capacity: number, cache: CacheView, blockBytes: number): Piece[] {
  const row = rowBytes(layout);
  const headBytes = tokens * row;
  const ioBytes = BLOCKS_PER_IO * blockBytes;
  const pieces: Piece[] = [];
  let at = 0;
  for (let layer = 0; layer < layout.layers; layer++) {
    for (const kind of [0, 1] as const) {
      const bytes = cache(layer, kind);
      for (let h = 0; h < layout.kvHeads; h++) {
        for (let done = 0; done < headBytes; ) {
          if (at % ioBytes === 0) pieces.push({ position: offset + at, parts: [] });
          const take = Math.min(headBytes - done, ioBytes - (at % ioBytes));
          const start = h * capacity * row + done;
          pieces[pieces.length - 1].parts.push(bytes.subarray(start, start + take));
          done += take;
          at += take;
        }
      }
    }
  }
  return pieces;
}

const byteLength = (parts: Uint8Array[]) => parts.reduce((sum, part) => sum + part.length, 0);

// One vectored call takes at most IOV_MAX buffers (1024 on Linux and macOS; libuv reads no more); a longer
// piece goes in groups. Returns whether every byte moved (a short read is the end of the file).
const IOV_MAX = 1024;
async function vectored(file: FileHandle, piece: Piece, op: 'readv' | 'writev'): Promise<boolean> {
  let position = piece.position;
  for (let first = 0; first < piece.parts.length; first += IOV_MAX) {
    const parts = piece.parts.slice(first, first + IOV_MAX);
    const result = op === 'readv' ? await file.readv(parts, position) : await file.writev(parts, position);
    const moved = 'bytesRead' in result ? result.bytesRead : result.bytesWritten;
    if (moved !== byteLength(parts)) return false;
    position += moved;
  }
  return true;
}

// Returns the block checksums of what it wrote. Each piece is summed while it is being written.
export async function writeCacheBody(
  file: FileHandle,
  offset: number,
  layout: KvLayout,
  tokens: number,
  capacity: number,
  cache: CacheView,
  blockBytes = BLOCK_BYTES,
): Promise<Uint32Array> {
  const sums = new BlockSums(blockBytes);
  for (const piece of bodyPieces(offset, layout, tokens, capacity, cache, blockBytes)) {
    const written = vectored(file, piece, 'writev');
    try {
      for (const part of piece.parts) sums.feed(part);
    } finally {
      if (!(await written)) throw new QuireError('INTERNAL', `a snapshot piece at ${piece.position} was written short`);
    }
  }
  return sums.finish();
}

// A piece's parts cut into its blocks (a piece is whole blocks but the body's last): each block the list of its
// parts' pieces, in order.
function blocksOf(parts: Uint8Array[], blockBytes: number): Uint8Array[][] {
  const blocks: Uint8Array[][] = [[]];
  let filled = 0;
  for (const part of parts) {
    for (let at = 0; at < part.length; ) {
      if (filled === blockBytes) {
        blocks.push([]);
        filled = 0;
      }
      const take = Math.min(part.length - at, blockBytes - filled);
      blocks[blocks.length - 1].push(part.subarray(at, at + take));
      filled += take;
      at += take;
    }
  }
  return blocks;
}

// Two reads in flight keep the disk busy while the thread that finished one is waiting for a core (the checks run
// beside them).
const READS_AHEAD = 2;

const isShared = (piece: Piece) => piece.parts.every((part) => part.buffer instanceof SharedArrayBuffer);

// Checks each block against `expected` as it lands, piece k while piece k + 1 is read, and throws CORRUPT at
// the first bad one; the cache then holds a partial copy, which the caller must treat as empty. A cache in shared
// memory is checked on worker threads (every core beside the reads), else on this thread.
export async function readCacheBody(
  path: string,
  offset: number,
  layout: KvLayout,
  tokens: number,
  capacity: number,
  cache: CacheView,
  blockBytes: number,
  expected: Uint32Array,
): Promise<void> {
  if (tokens > capacity) throw new QuireError('DOES_NOT_FIT', `snapshot holds ${tokens} tokens, the context is ${capacity}`);
  const sums = new BlockSums(blockBytes, expected);
  const pieces = bodyPieces(offset, layout, tokens, capacity, cache, blockBytes);
  const aside = pieces.every(isShared);
  const file = await open(path, 'r');
  const read = async (piece: Piece) => {
    if (!(await vectored(file, piece, 'readv'))) throw new QuireError('CORRUPT', 'snapshot body is truncated');
  };
  // Reads in flight, READS_AHEAD pieces ahead of the one being checked. One that fails before its turn is handled
  // when its turn comes (a torn file), not as an unhandled rejection now.
  const reads: Promise<void>[] = [];
  const readAhead = () => {
    if (reads.length === pieces.length) return;
    const next = read(pieces[reads.length]);
    next.catch(() => undefined);
    reads.push(next);
  };
  for (let k = 0; k < READS_AHEAD; k++) readAhead();
  // The workers' sums, taken in block order as they come: the first bad block stops the reads.
  let checked = Promise.resolve();
  let bad = false;
  try {
    for (let k = 0; k < pieces.length && !bad; k++) {
      await reads[k];
      readAhead();
      if (aside) {
        const piece = sumBlocksAside(blocksOf(pieces[k].parts, blockBytes));
        checked = checked.then(async () => sums.take(await piece));
        checked.catch(() => (bad = true));
      } else {
        for (const part of pieces[k].parts) sums.feed(part);
      }
    }
    await checked;
    sums.finish();
  } finally {
    // Reads still in flight when a block fails finish before their file closes.
    await Promise.allSettled(reads);
    await file.close();
  }
}
