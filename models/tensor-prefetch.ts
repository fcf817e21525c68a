// Reads byte ranges of checkpoint files ahead of the converter on two threads of its own: one reads pieces into a
// ring of shared buffers, one feeds them into a BLAKE3 hash per range (blake3.ts), while the converter's thread
// quantizes and writes the piece before. Reading, hashing and converting then overlap on as many cores as there
// are (three stages; the hash, sha256 before BLAKE3, ran at ~1.4 GB/s on one core), and memory stays at the
// ring: `slots` pieces.
//
// Each slot's state is a set of bits: the reader sets READ once the piece is in it; the hasher adds HASHED and
// the converter USED, and whichever of them comes second frees the slot for the reader. All three go round the
// ring in the same order, so a range is the run of pieces up to the one flagged last.
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { QuireError } from '../electron/common/errors.ts';
import { blake3ForThread, type blake3Hashers } from './blake3.ts';

// Where things are in the shared control words, and the state bits: handed to the threads as data, since their
// bodies cannot see this module.
function layoutOf(slots: number) {
  return {
    slots,
    // [0, slots): each slot's state; then each piece's length, then 1 on a range's last piece.
    lengthAt: slots,
    lastAt: 2 * slots,
    // Ranges hashed so far, and a stop flag (a failure, or close()).
    hashedRangesAt: 3 * slots,
    stopAt: 3 * slots + 1,
    words: 3 * slots + 2,
    FREE: 0,
    READ: 1,
    HASHED: 2,
    USED: 4,
    // How long a wait sleeps before it looks again whether the pipeline has stopped.
    waitMs: 1000,
  };
}
type Layout = ReturnType<typeof layoutOf>;

interface ThreadData {
  ctl: SharedArrayBuffer;
  buffers: SharedArrayBuffer[];
  layout: Layout;
  port: MessagePort;
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
function readerThread(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const { ctl: ctlBuffer, buffers, layout: L, port } = workerData as ThreadData;
  const ctl = new Int32Array(ctlBuffer);
  const views = buffers.map((b) => new Uint8Array(b));
  const fds = new Map<string, number>();
  let slot = 0;
  parentPort!.on('message', (range: Range | 'close') => {
    if (range === 'close') {
      for (const fd of fds.values()) fs.closeSync(fd);
      parentPort!.close();
      return;
    }
    try {
      let fd = fds.get(range.file);
      if (fd === undefined) fds.set(range.file, (fd = fs.openSync(range.file, 'r')));
      let done = 0;
      do {
        const bytes = Math.min(range.piece, range.length - done);
        for (let s; (s = Atomics.load(ctl, slot)) !== L.FREE; ) {
          if (Atomics.load(ctl, L.stopAt)) return;
          Atomics.wait(ctl, slot, s, L.waitMs);
        }
        for (let got = 0; got < bytes; ) {
          const n = fs.readSync(fd, views[slot], got, bytes - got, range.start + done + got);
          if (n === 0) throw Object.assign(new Error(`${range.file}: unexpected end of file in ${range.name}`), { corrupt: true });
          got += n;
        }
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
  let addon = null;
  try {
    addon = blake3!.addonPath ? require(blake3!.addonPath) : null;
  } catch {
    // Not built: the TypeScript BLAKE3 hashes.
  }
  const newHash = (new Function(`return ${blake3!.source}`)() as typeof blake3Hashers)(addon);
  let hash = newHash();
  for (let slot = 0; ; slot = (slot + 1) % L.slots) {
    // READ without HASHED: the slot may still hold the last round's piece, hashed but not yet used.
    for (let s; ((s = Atomics.load(ctl, slot)) & (L.READ | L.HASHED)) !== L.READ; ) {
      if (Atomics.load(ctl, L.stopAt)) return;
      Atomics.wait(ctl, slot, s, L.waitMs);
    }
    hash.update(views[slot].subarray(0, ctl[L.lengthAt + slot]));
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
  private readonly ctl: Int32Array;
  private readonly views: Uint8Array[];
  private readonly reader: ReturnType<typeof startThread>;
  private readonly hasher: ReturnType<typeof startThread>;
  private slot = 0;
  private ranges = 0;
  private reading = false;

  // `pieceBytes`: the largest piece a read() will ask for.
  constructor(pieceBytes: number, slots = 4) {
    this.L = layoutOf(slots);
    const ctl = new SharedArrayBuffer(4 * this.L.words);
    const buffers = Array.from({ length: slots }, () => new SharedArrayBuffer(pieceBytes));
    this.ctl = new Int32Array(ctl);
    this.views = buffers.map((b) => new Uint8Array(b));
    this.reader = startThread(readerThread, { ctl, buffers, layout: this.L });
    this.hasher = startThread(hasherThread, { ctl, buffers, layout: this.L, blake3: blake3ForThread() });
  }

  // Yields [start, start + length) of `file` in pieces of `piece` bytes (the last may be shorter; an empty range
  // is one empty piece). A piece is a view into the ring, valid until the next is asked for. One range at a time.
  *read(file: string, start: number, length: number, piece: number, name: string): Generator<Uint8Array> {
    if (this.reading) throw new QuireError('INTERNAL', 'TensorPrefetch.read: one range at a time');
    if (piece > this.views[0].byteLength) throw new QuireError('INTERNAL', `TensorPrefetch.read: ${piece}-byte pieces do not fit the ring`);
    this.reading = true;
    this.reader.worker.postMessage({ file, start, length, piece: Math.max(1, piece), name } satisfies Range);
    this.ranges++;
    let last = false;
    try {
      while (!last) {
        const slot = this.next();
        last = this.ctl[this.L.lastAt + slot] === 1;
        try {
          yield this.views[slot].subarray(0, this.ctl[this.L.lengthAt + slot]);
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
