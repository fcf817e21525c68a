// Hashes and writes a file on a thread of its own, so the converter's thread only quantizes: it copies each piece
// into a ring of shared buffers and goes on. Pieces are written in the order given, at the positions given, and
// the BLAKE3 hash covers each piece after `gap` zero bytes (the alignment gaps, which read back as zeros). Memory stays
// at the ring. A write's failure (a full disk) comes back to the caller as the same error code at its next call.
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { blake3ForThread, type blake3Hashers } from './blake3.ts';

// Handed to the thread as data, since its body cannot see this module.
function layoutOf(slots: number) {
  return {
    slots,
    // Int32 words: [0, slots) each slot's state, then each piece's length and the zeros hashed before it; then
    // a flag set once the thread has stopped (finished or failed). Float64 words: each piece's file position.
    lengthAt: slots,
    gapAt: 2 * slots,
    stoppedAt: 3 * slots,
    words: 3 * slots + 1,
    FREE: 0,
    FULL: 1,
    // A slot whose piece is the end: the thread hashes nothing more, closes the file and posts the digest.
    FINISH: 2,
    waitMs: 1000,
  };
}
type Layout = ReturnType<typeof layoutOf>;

interface ThreadData {
  path: string;
  ctl: SharedArrayBuffer;
  positions: SharedArrayBuffer;
  buffers: SharedArrayBuffer[];
  layout: Layout;
  port: MessagePort;
  blake3: ReturnType<typeof blake3ForThread>;
}

type Outcome = { digest: string } | { error: string; code?: string };

function writerThread(): void {
  const { workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const { path, ctl: ctlBuffer, positions: positionBuffer, buffers, layout: L, port, blake3 } = workerData as ThreadData;
  const ctl = new Int32Array(ctlBuffer);
  const positions = new Float64Array(positionBuffer);
  const views = buffers.map((b) => new Uint8Array(b));
  const hash = (new Function(`return ${blake3.source}`)() as typeof blake3Hashers)(blake3.addonPath)();
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'w');
    for (let slot = 0; ; slot = (slot + 1) % L.slots) {
      for (let s; (s = Atomics.load(ctl, slot)) === L.FREE; ) Atomics.wait(ctl, slot, s, L.waitMs);
      if (Atomics.load(ctl, slot) === L.FINISH) break;
      hash.update(new Uint8Array(ctl[L.gapAt + slot]));
      const piece = views[slot].subarray(0, ctl[L.lengthAt + slot]);
      hash.update(piece);
      for (let done = 0; done < piece.byteLength; ) done += fs.writeSync(fd, piece, done, piece.byteLength - done, positions[slot] + done);
      Atomics.store(ctl, slot, L.FREE);
      Atomics.notify(ctl, slot);
    }
    fs.closeSync(fd);
    fd = undefined;
    port.postMessage({ digest: hash.digest() } satisfies Outcome);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (fd !== undefined) fs.closeSync(fd);
    port.postMessage({ error: e.message, code: e.code } satisfies Outcome);
  }
  Atomics.store(ctl, L.stoppedAt, 1);
  Atomics.notify(ctl, L.stoppedAt);
  for (let s = 0; s < L.slots; s++) Atomics.notify(ctl, s);
}

export class FileWriterThread {
  private readonly L: Layout;
  private readonly ctl: Int32Array;
  private readonly positions: Float64Array;
  private readonly views: Uint8Array[];
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private slot = 0;
  private outcome: Outcome | undefined;

  constructor(path: string, pieceBytes = 8 * 1024 * 1024, slots = 4) {
    this.L = layoutOf(slots);
    const ctl = new SharedArrayBuffer(4 * this.L.words);
    const positions = new SharedArrayBuffer(8 * slots);
    const buffers = Array.from({ length: slots }, () => new SharedArrayBuffer(pieceBytes));
    this.ctl = new Int32Array(ctl);
    this.positions = new Float64Array(positions);
    this.views = buffers.map((b) => new Uint8Array(b));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(`(${writerThread.toString()})()`, { eval: true, workerData: { path, ctl, positions, buffers, layout: this.L, port: port2, blake3: blake3ForThread() } satisfies ThreadData, transferList: [port2] });
    this.worker.unref();
  }

  // Queues `bytes` for `position`, `gap` zero bytes hashed before them; returns once they are copied.
  write(bytes: Uint8Array, position: number, gap = 0): void {
    const room = this.views[0].byteLength;
    for (let at = 0; at < bytes.byteLength || (at === 0 && gap > 0); at += room) {
      const piece = bytes.subarray(at, at + room);
      const slot = this.nextFree();
      this.views[slot].set(piece);
      this.ctl[this.L.lengthAt + slot] = piece.byteLength;
      this.ctl[this.L.gapAt + slot] = at === 0 ? gap : 0;
      this.positions[slot] = position + at;
      Atomics.store(this.ctl, slot, this.L.FULL);
      Atomics.notify(this.ctl, slot);
    }
  }

  // Waits for every write, closes the file and returns the BLAKE3 digest of everything written (gaps included).
  finish(): string {
    if (!this.stopped()) {
      const slot = this.nextFree();
      Atomics.store(this.ctl, slot, this.L.FINISH);
      Atomics.notify(this.ctl, slot);
    }
    const outcome = this.settle();
    if ('digest' in outcome) return outcome.digest;
    throw Object.assign(new Error(outcome.error), { code: outcome.code });
  }

  private stopped(): boolean {
    return Atomics.load(this.ctl, this.L.stoppedAt) === 1;
  }

  private settle(): Outcome {
    while (!this.stopped()) Atomics.wait(this.ctl, this.L.stoppedAt, 0, this.L.waitMs);
    if (!this.outcome) {
      this.outcome = receiveMessageOnPort(this.port)?.message as Outcome;
      this.port.close();
    }
    return this.outcome;
  }

  private nextFree(): number {
    const slot = this.slot;
    for (let s; (s = Atomics.load(this.ctl, slot)) !== this.L.FREE; ) {
      if (this.stopped()) {
        // The thread failed, or finish() came first: either way nothing more can be written.
        const outcome = this.settle();
        throw 'error' in outcome ? Object.assign(new Error(outcome.error), { code: outcome.code }) : new Error('FileWriterThread: write after finish');
      }
      Atomics.wait(this.ctl, slot, s, this.L.waitMs);
    }
    this.slot = (slot + 1) % this.L.slots;
    return slot;
  }
}
