import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { QuireError } from '../electron/common/errors.ts';
import { blake3 } from './blake3.ts';
import { readJsonFile } from './hf-config.ts';
import { TensorPrefetch } from './tensor-prefetch.ts';
import { toFloat32 } from './weight-codecs.ts';

// safetensors: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, raw data.
// Tensors are read in row chunks straight from disk, so memory stays bounded by the chunk size, not the file.

export type SafeDtype = 'F32' | 'F16' | 'BF16';
const DTYPE_BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2 };

// Headers of real checkpoints are a few hundred KiB; anything past this is a corrupt or hostile file.
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  file: string;
  start: number; // absolute byte offset in `file`
  byteLength: number;
}

export function readSafetensorsHeader(path: string): { tensors: TensorInfo[]; metadata: Record<string, string> } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const lenBuf = Buffer.alloc(8);
    if (size < 8 || readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new QuireError('CORRUPT', `${path}: too short for a safetensors file`);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) throw new QuireError('CORRUPT', `${path}: header length ${headerLen} is invalid`);
    const headerBuf = Buffer.alloc(headerLen);
    readSync(fd, headerBuf, 0, headerLen, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new QuireError('CORRUPT', `${path}: header is not valid JSON`);
    }
    const dataStart = 8 + headerLen;
    const tensors: TensorInfo[] = [];
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
      if (!(dtype in DTYPE_BYTES)) throw new QuireError('UNSUPPORTED_MODEL', `${name}: dtype ${dtype} is not supported (F32, F16, BF16)`);
      const bytes = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype as SafeDtype];
      if (!Array.isArray(offsets) || offsets[1] - offsets[0] !== bytes || dataStart + offsets[1] > size) {
        throw new QuireError('CORRUPT', `${path}: tensor ${name} has offsets that do not match its shape or the file size`);
      }
      tensors.push({ name, dtype: dtype as SafeDtype, shape, file: path, start: dataStart + offsets[0], byteLength: bytes });
    }
    return { tensors, metadata: (header.__metadata__ ?? {}) as Record<string, string> };
  } finally {
    closeSync(fd);
  }
}

export interface RowChunk {
  data: Float32Array; // rows·rowLength values, row-major
  rowStart: number;
  rows: number;
}

// Whole rows of a tensor as stored: rows·rowLength values of `dtype`, little-endian, starting on an even byte.
export interface RawChunk {
  bytes: Uint8Array;
  dtype: SafeDtype;
  rowStart: number;
  rows: number;
}

// Raw bytes per chunk: 16 MiB of float32 for a 16-bit checkpoint, as the float32 rows have always been.
const RAW_CHUNK_BYTES = 8 * 1024 * 1024;
// Below this much data the conversion's threads (reading ahead, writing behind) cost more to start than they
// save (tests' tiny checkpoints).
export const CONVERSION_THREADS_MIN_BYTES = 64 * 1024 * 1024;

function rowLayout(t: TensorInfo): { rowBytes: number; totalRows: number } {
  const width = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
  const totalRows = t.shape.length <= 1 ? 1 : t.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return { rowBytes: width * DTYPE_BYTES[t.dtype], totalRows };
}

export interface CheckpointOptions {
  // Read ahead and hash on threads of their own (tensor-prefetch.ts). Default: when the checkpoint holds at
  // least 64 MiB.
  prefetch?: boolean;
}

// A checkpoint folder: model.safetensors or a sharded model.safetensors.index.json. Reading a tensor also feeds
// its raw bytes into a per-tensor BLAKE3 hash, the material for the source checksum.
export class Checkpoint {
  readonly dir: string;
  readonly tensors = new Map<string, TensorInfo>();
  private readonly digests = new Map<string, string>();
  private readonly fds = new Map<string, number>();
  private prefetch: TensorPrefetch | null = null;
  // Tensors read ahead whose digests the hasher has not handed over yet, in the order they were read.
  private readonly pendingDigests: string[] = [];
  private readonly pieceBytes: number;

  constructor(dir: string, options: CheckpointOptions = {}) {
    this.dir = dir;
    const index = join(dir, 'model.safetensors.index.json');
    const single = join(dir, 'model.safetensors');
    let files: string[];
    if (existsSync(index)) {
      const weightMap = (readJsonFile(index).weight_map ?? {}) as Record<string, string>;
      files = [...new Set(Object.values(weightMap))].map((f) => join(dir, f));
    } else if (existsSync(single)) {
      files = [single];
    } else {
      throw new QuireError('NOT_FOUND', `${dir}: no model.safetensors or model.safetensors.index.json`);
    }
    for (const file of files) {
      if (!existsSync(file)) throw new QuireError('NOT_FOUND', `${dirname(file)}: shard ${file} listed in the index is missing`);
      for (const t of readSafetensorsHeader(file).tensors) this.tensors.set(t.name, t);
    }
    const all = [...this.tensors.values()];
    // A piece holds at least one row, however long.
    this.pieceBytes = Math.max(RAW_CHUNK_BYTES, ...all.map((t) => rowLayout(t).rowBytes));
    if (options.prefetch ?? all.reduce((sum, t) => sum + t.byteLength, 0) >= CONVERSION_THREADS_MIN_BYTES) this.prefetch = new TensorPrefetch(this.pieceBytes);
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new QuireError('MISSING_TENSOR', `checkpoint ${this.dir} has no tensor "${name}"`);
    return t;
  }

  private fd(file: string): number {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      fd = openSync(file, 'r');
      this.fds.set(file, fd);
    }
    return fd;
  }

  // Yields the tensor's bytes in chunks of whole rows (the last dimension), at most about `chunkBytes` (and one
  // row) at a time; the yielded bytes are reused, so consume them before asking for the next chunk.
  *chunks(name: string, chunkBytes = RAW_CHUNK_BYTES): Generator<RawChunk> {
    const t = this.info(name);
    const { rowBytes, totalRows } = rowLayout(t);
    const rowsPerChunk = Math.max(1, Math.floor(Math.min(chunkBytes, this.pieceBytes) / rowBytes));
    const piece = Math.min(rowsPerChunk, totalRows) * rowBytes;
    let pieces: Iterable<Uint8Array>;
    if (this.prefetch) {
      pieces = this.prefetch.read(t.file, t.start, t.byteLength, piece, name);
      this.pendingDigests.push(name);
    } else {
      pieces = this.readHashed(t, piece);
    }
    let rowStart = 0;
    for (const bytes of pieces) {
      const rows = bytes.byteLength / rowBytes;
      if (rows > 0) yield { bytes, dtype: t.dtype, rowStart, rows };
      rowStart += rows;
    }
  }

  // The tensor's bytes in pieces on this thread, its digest recorded once all are read.
  private *readHashed(t: TensorInfo, piece: number): Generator<Uint8Array> {
    const raw = Buffer.allocUnsafeSlow(piece);
    const hash = blake3();
    const fd = this.fd(t.file);
    for (let done = 0; done < t.byteLength; ) {
      const bytes = Math.min(piece, t.byteLength - done);
      for (let got = 0; got < bytes; ) {
        const n = readSync(fd, raw, got, bytes - got, t.start + done + got);
        if (n === 0) throw new QuireError('CORRUPT', `${t.file}: unexpected end of file in ${t.name}`);
        got += n;
      }
      const view = raw.subarray(0, bytes);
      hash.update(view);
      done += bytes;
      yield view;
    }
    this.digests.set(t.name, hash.digest());
  }

  // Yields the tensor as float32 in chunks of whole rows, about `chunkBytes` of float32 at a time; the yielded
  // buffer is reused, so consume it before asking for the next chunk.
  *rows(name: string, chunkBytes = 2 * RAW_CHUNK_BYTES): Generator<RowChunk> {
    const t = this.info(name);
    const { rowBytes } = rowLayout(t);
    const width = rowBytes / DTYPE_BYTES[t.dtype];
    let out: Float32Array | undefined;
    for (const chunk of this.chunks(name, Math.max(1, Math.floor(chunkBytes / (width * 4))) * rowBytes)) {
      out ??= new Float32Array(chunk.rows * width);
      yield { data: toFloat32(chunk.bytes, chunk.dtype, out.subarray(0, chunk.rows * width)), rowStart: chunk.rowStart, rows: chunk.rows };
    }
  }

  // Whole tensor as float32: for the small ones (norm weights).
  read(name: string): Float32Array {
    const t = this.info(name);
    const out = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    let offset = 0;
    for (const chunk of this.rows(name)) {
      out.set(chunk.data, offset);
      offset += chunk.data.length;
    }
    return out;
  }

  // sha256 over "name:blake3(raw bytes)" lines of every tensor read so far, in name order: independent of the
  // order tensors were read and of how the checkpoint is sharded. quire.json records the per-tensor hash as
  // source.algorithm (file-checksum.ts).
  sourceChecksum(): string {
    this.collectDigests();
    const lines = [...this.digests.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, d]) => `${n}:${d}\n`);
    return createHash('sha256').update(lines.join('')).digest('hex');
  }

  // The digests of tensors read ahead, from the hasher.
  private collectDigests(): void {
    if (!this.prefetch) return;
    const digests = this.prefetch.digests();
    this.pendingDigests.splice(0).forEach((name, i) => this.digests.set(name, digests[i]));
  }

  // The source checksum stays available after close.
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    if (!this.prefetch) return;
    try {
      if (!this.prefetch.stopped()) this.collectDigests();
    } finally {
      this.prefetch.close();
      this.prefetch = null;
    }
  }
}

export interface TensorToWrite {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  // Raw little-endian bytes, produced in order; total must equal the shape's byte size.
  chunks: () => Iterable<Uint8Array>;
}

// Writes one safetensors file, streaming each tensor's chunks (the generator for tiny and bench checkpoints).
export function writeSafetensors(path: string, tensors: TensorToWrite[], metadata: Record<string, string> = { format: 'pt' }): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned, as the reference writer does
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const fd = openSync(path, 'w');
  try {
    const write = (buf: Uint8Array) => {
      let done = 0;
      while (done < buf.byteLength) done += writeSync(fd, buf, done, buf.byteLength - done);
    };
    write(prefix);
    write(headerBytes);
    for (const t of tensors) {
      const expected = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
      let written = 0;
      for (const chunk of t.chunks()) {
        write(chunk);
        written += chunk.byteLength;
      }
      if (written !== expected) throw new Error(`${t.name}: wrote ${written} bytes, shape wants ${expected}`);
    }
  } finally {
    closeSync(fd);
  }
}
