// Reads byte ranges of checkpoint files ahead of the converter on two threads of its own: one reads pieces into a
// ring of shared buffers, one feeds them into a BLAKE3 hash per range (blake3.ts), while the converter's thread
// quantizes and writes the piece before. Reading, hashing and converting then overlap on as many cores as there
// are (three stages; the hash, sha256 before BLAKE3, ran at ~1.4 GB/s on one core), and memory stays at the
// ring: `slots` pieces.
//
// Each slot's state is a set of bits: the reader sets READ once the piece is in it; the hasher adds HASHED and
// the converter USED, and whichever of them comes second frees the slot for the reader. All three go round the
// ring in the same order, so a range is the run of pieces up to the one flagged last.
//
// The reader takes a piece from the disk with O_DIRECT (Linux) unless the page cache holds it whole. A checkpoint
// is read once, so caching it buys nothing, and a buffered read's kernel work (allocating and inserting page-cache
// pages, copying them out) was ~0.9 of the ~2.3 CPU s per GB a cold int4 conversion cost on 2 vCPUs; with O_DIRECT
// the disk writes into the slot. O_DIRECT wants address, file offset and length in whole blocks, so a piece lies in
// its slot as far past a block boundary as it is in the file, the blocks around it read too, and the hasher and
// the converter see the same bytes a buffered read gives, from that start (native/src/checkpoint_io.cc tells where
// the slot's memory sits; JS cannot). The page-cache check is per piece (mincore, ~60 µs per 8 MiB; a file can be
// half cached): a cached checkpoint (just downloaded or read) copies at ~5 GB/s for ~0.13 CPU s per GB here, where
// O_DIRECT read it again from this VM's disk at 0.7–1.1 GB/s, below what the conversion can take. Probing with
// preadv2(RWF_NOWAIT) instead was tried: each miss started the kernel's readahead, caching the file after all.
// Buffered reads where O_DIRECT cannot serve, the same bytes: no addon, not Linux, QUIRE_CONVERT_DIRECT=0, a file
// system that refuses it at open, and a piece that would start on an odd byte.
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { QuireError } from '../electron/common/errors.ts';
import { blake3ForThread, type blake3Hashers } from './blake3.ts';
import { nativeAddonFile } from './native-addon-file.ts';

// Where things are in the shared control words, and the state bits: handed to the threads as data, since their
// bodies cannot see this module.
function layoutOf(slots: number) {
  return {
    slots,
    // [0, slots): each slot's state; then each piece's length, then 1 on a range's last piece, then where in
    // the slot the piece starts (not 0 where it was read with O_DIRECT).
    lengthAt: slots,
    lastAt: 2 * slots,
    startAt: 3 * slots,
    // Ranges hashed so far, a stop flag (a failure, or close()), and pieces read at least in part with O_DIRECT.
    hashedRangesAt: 4 * slots,
    stopAt: 4 * slots + 1,
    directPiecesAt: 4 * slots + 2,
    words: 4 * slots + 3,
    FREE: 0,
    READ: 1,
    HASHED: 2,
    USED: 4,
    // How long a wait sleeps before it looks again whether the pipeline has stopped.
    waitMs: 1000,
    // O_DIRECT's alignment of memory address, file offset and length: the logical block size of the disks it
    // meets is 512 or 4096.
    block: 4096,
  };
}
type Layout = ReturnType<typeof layoutOf>;

interface ThreadData {
  ctl: SharedArrayBuffer;
  buffers: SharedArrayBuffer[];
  layout: Layout;
  port: MessagePort;
  // The native addon, for the reader's O_DIRECT reads; absent: buffered reads only.
  addonPath?: string;
  // The hasher's BLAKE3.
  blake3?: ReturnType<typeof blake3ForThread>;
}

interface Range {
  file: string;
  start: number;
  length: number;
  piece: number;
  // For messages: the tensor the range holds.
  name: string;
}

type ReaderFailure = { error: string; code: 'CORRUPT' | 'IO' };

// Both thread bodies run from their source text (a worker from a string, so the desktop bundle needs no entry
// file for it): they may use only what they require themselves and what workerData brings.
// long-function: run from its source text in a worker, so its parts cannot be functions of this module.
function readerThread(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const { ctl: ctlBuffer, buffers, layout: L, port, addonPath } = workerData as ThreadData;
  const ctl = new Int32Array(ctlBuffer);
  const views = buffers.map((b) => new Uint8Array(b));
  type Native = { addressModulo(view: Uint8Array, block: number): number; inPageCache(fd: number, position: number, length: number): boolean };
  let native: Native | null = null;
  if (addonPath && fs.constants.O_DIRECT !== undefined) {
    try {
      const addon = require(addonPath) as Partial<Native>;
      if (typeof addon.addressModulo === 'function' && typeof addon.inPageCache === 'function') native = addon as Native;
    } catch {
      // Not built, or a platform without inPageCache: buffered reads.
    }
  }
  // Bytes from each slot's start to its first block boundary.
  const pads = views.map((v) => (native ? (L.block - native.addressModulo(v, L.block)) % L.block : 0));
  // Each file's buffered descriptor, and one opened with O_DIRECT where the file system takes it.
  const files = new Map<string, { fd: number; direct: number | null }>();
  const open = (file: string) => {
    let f = files.get(file);
    if (f) return f;
    let direct: number | null = null;
    const fd = fs.openSync(file, 'r');
    try {
      if (native) direct = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_DIRECT);
    } catch {
      // EINVAL: a file system without O_DIRECT.
    }
    files.set(file, (f = { fd, direct }));
    return f;
  };
  const endOfFile = (range: Range) => Object.assign(new Error(`${range.file}: unexpected end of file in ${range.name}`), { corrupt: true });

  // Reads `bytes` bytes at `position` into the slot and returns where in it they start.
  const readPiece = (range: Range, slot: number, position: number, bytes: number): number => {
    const f = open(range.file);
    const view = views[slot];
    // As far past a block boundary of the slot as `position` is past one of the file. An odd start would break
    // the 16-bit reads in place of safetensors.ts's chunks (possible only where a header's length is odd).
    const begin = pads[slot] + (position % L.block);
    if (f.direct === null || begin % 2 || native!.inPageCache(f.fd, position, bytes)) {
      for (let got = 0; got < bytes; ) {
        const n = fs.readSync(f.fd, view, got, bytes - got, position + got);
        if (n === 0) throw endOfFile(range);
        got += n;
      }
      return 0;
    }
    // Whole blocks from the one that holds the first byte still missing (a read may come back short).
    Atomics.add(ctl, L.directPiecesAt, 1);
    for (let got = 0; got < bytes; ) {
      const back = (position + got) % L.block;
      const at = begin + got - back;
      const n = fs.readSync(f.direct, view, at, Math.ceil((begin + bytes - at) / L.block) * L.block, position + got - back);
      if (n <= back) throw endOfFile(range);
      got = Math.min(bytes, got - back + n);
    }
    return begin;
  };

  let slot = 0;
  parentPort!.on('message', (range: Range | 'close') => {
    if (range === 'close') {
      for (const f of files.values()) for (const fd of [f.fd, f.direct]) if (fd !== null) fs.closeSync(fd);
      parentPort!.close();
      return;
    }
    try {
      let done = 0;
      do {
        const bytes = Math.min(range.piece, range.length - done);
        for (let s; (s = Atomics.load(ctl, slot)) !== L.FREE; ) {
          if (Atomics.load(ctl, L.stopAt)) return;
          Atomics.wait(ctl, slot, s, L.waitMs);
        }
        ctl[L.startAt + slot] = readPiece(range, slot, range.start + done, bytes);
        done += bytes;
        ctl[L.lengthAt + slot] = bytes;
        ctl[L.lastAt + slot] = done >= range.length ? 1 : 0;
        Atomics.store(ctl, slot, L.READ);
        Atomics.notify(ctl, slot);
        slot = (slot + 1) % L.slots;
      } while (done < range.length);
    } catch (error) {
      const e = error as Error & { corrupt?: boolean };
      port.postMessage({ error: e.message, code: e.corrupt ? 'CORRUPT' : 'IO' } satisfies ReaderFailure);
      Atomics.store(ctl, L.stopAt, 1);
      for (let s = 0; s < L.slots; s++) Atomics.notify(ctl, s);
      Atomics.notify(ctl, L.hashedRangesAt);
    }
  });
}

function hasherThread(): void {
  const { workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { ctl: ctlBuffer, buffers, layout: L, port, blake3 } = workerData as ThreadData;
  const ctl = new Int32Array(ctlBuffer);
  const views = buffers.map((b) => new Uint8Array(b));
  const newHash = (new Function(`return ${blake3!.source}`)() as typeof blake3Hashers)(blake3!.addonPath);
  let hash = newHash();
  for (let slot = 0; ; slot = (slot + 1) % L.slots) {
    // READ without HASHED: the slot may still hold the last round's piece, hashed but not yet used.
    for (let s; ((s = Atomics.load(ctl, slot)) & (L.READ | L.HASHED)) !== L.READ; ) {
      if (Atomics.load(ctl, L.stopAt)) return;
      Atomics.wait(ctl, slot, s, L.waitMs);
    }
    hash.update(views[slot].subarray(ctl[L.startAt + slot], ctl[L.startAt + slot] + ctl[L.lengthAt + slot]));
    if (ctl[L.lastAt + slot]) {
      port.postMessage(hash.digest());
      hash = newHash();
      Atomics.add(ctl, L.hashedRangesAt, 1);
      Atomics.notify(ctl, L.hashedRangesAt);
    }
    if ((Atomics.or(ctl, slot, L.HASHED) | L.HASHED) === (L.READ | L.HASHED | L.USED)) {
      Atomics.store(ctl, slot, L.FREE);
      Atomics.notify(ctl, slot);
    }
  }
}

function startThread(body: () => void, data: Omit<ThreadData, 'port'>): { worker: Worker; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(`(${body.toString()})()`, { eval: true, workerData: { ...data, port: port2 }, transferList: [port2] });
  worker.unref();
  return { worker, port: port1 };
}

export class TensorPrefetch {
  private readonly L: Layout;
  private readonly pieceBytes: number;
  private readonly ctl: Int32Array;
  private readonly views: Uint8Array[];
  private readonly reader: ReturnType<typeof startThread>;
  private readonly hasher: ReturnType<typeof startThread>;
  private slot = 0;
  private ranges = 0;
  private reading = false;

  // `pieceBytes`: the largest piece a read() will ask for.
  constructor(pieceBytes: number, slots = 4) {
    this.pieceBytes = pieceBytes;
    this.L = layoutOf(slots);
    const ctl = new SharedArrayBuffer(4 * this.L.words);
    // Room for a piece read in whole blocks from a block boundary of the slot: up to a block short of one
    // before it (the slot's own start), and at each end of the piece.
    const buffers = Array.from({ length: slots }, () => new SharedArrayBuffer(pieceBytes + 3 * this.L.block));
    this.ctl = new Int32Array(ctl);
    this.views = buffers.map((b) => new Uint8Array(b));
    const addonPath = process.env.QUIRE_CONVERT_DIRECT === '0' ? undefined : nativeAddonFile.path;
    this.reader = startThread(readerThread, { ctl, buffers, layout: this.L, addonPath });
    this.hasher = startThread(hasherThread, { ctl, buffers, layout: this.L, blake3: blake3ForThread() });
  }

  // Yields [start, start + length) of `file` in pieces of `piece` bytes (the last may be shorter; an empty range
  // is one empty piece). A piece is a view into the ring, valid until the next is asked for. One range at a time.
  *read(file: string, start: number, length: number, piece: number, name: string): Generator<Uint8Array> {
    if (this.reading) throw new QuireError('INTERNAL', 'TensorPrefetch.read: one range at a time');
    if (piece > this.pieceBytes) throw new QuireError('INTERNAL', `TensorPrefetch.read: ${piece}-byte pieces do not fit the ring`);
    this.reading = true;
    this.reader.worker.postMessage({ file, start, length, piece: Math.max(1, piece), name } satisfies Range);
    this.ranges++;
    let last = false;
    try {
      while (!last) {
        const slot = this.next();
        last = this.ctl[this.L.lastAt + slot] === 1;
        try {
          const start = this.ctl[this.L.startAt + slot];
          yield this.views[slot].subarray(start, start + this.ctl[this.L.lengthAt + slot]);
        } finally {
          this.used(slot);
        }
      }
    } finally {
      // A consumer that stopped early: the rest of the range drains, so the next range starts on its own pieces.
      while (!last && !this.stopped()) {
        const slot = this.next();
        last = this.ctl[this.L.lastAt + slot] === 1;
        this.used(slot);
      }
      this.reading = false;
    }
  }

  // The BLAKE3 digest of each range read since the last call, in the order asked for; waits for the hasher.
  digests(): string[] {
    for (let done; (done = Atomics.load(this.ctl, this.L.hashedRangesAt)) < this.ranges; ) {
      this.checkFailure();
      Atomics.wait(this.ctl, this.L.hashedRangesAt, done, this.L.waitMs);
    }
    const out: string[] = [];
    for (let m; (m = receiveMessageOnPort(this.hasher.port)); ) out.push(m.message as string);
    return out;
  }

  close(): void {
    Atomics.store(this.ctl, this.L.stopAt, 1);
    for (let s = 0; s < this.L.slots; s++) Atomics.notify(this.ctl, s);
    // The reader leaves the range it is in, then closes its files and ends; the hasher ends at the stop flag.
    this.reader.worker.postMessage('close');
    this.reader.port.close();
    this.hasher.port.close();
  }

  // Waits for the next piece in the ring and returns its slot.
  private next(): number {
    const slot = this.slot;
    for (let s; ((s = Atomics.load(this.ctl, slot)) & (this.L.READ | this.L.USED)) !== this.L.READ; ) {
      this.checkFailure();
      Atomics.wait(this.ctl, slot, s, this.L.waitMs);
    }
    this.slot = (slot + 1) % this.L.slots;
    return slot;
  }

  private used(slot: number): void {
    const { READ, HASHED, USED, FREE } = this.L;
    if ((Atomics.or(this.ctl, slot, USED) | USED) === (READ | HASHED | USED)) {
      Atomics.store(this.ctl, slot, FREE);
      Atomics.notify(this.ctl, slot);
    }
  }

  // How many pieces so far came at least in part from the disk with O_DIRECT rather than the page cache or
  // buffered reads: what tells a test which path it held to the same bytes.
  directPieces(): number {
    return Atomics.load(this.ctl, this.L.directPiecesAt);
  }

  // After a reader's failure, or close().
  stopped(): boolean {
    return Atomics.load(this.ctl, this.L.stopAt) === 1;
  }

  private checkFailure(): void {
    if (!this.stopped()) return;
    const failure = receiveMessageOnPort(this.reader.port)?.message as ReaderFailure | undefined;
    if (failure?.code === 'CORRUPT') throw new QuireError('CORRUPT', failure.error);
    throw new Error(failure?.error ?? 'the checkpoint reader stopped');
  }
}
