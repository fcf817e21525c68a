// CRC-32 block sums computed on worker threads, so that a snapshot restored on the onnxruntime-node path is checked
// on every core beside its reads instead of on the event loop's thread alone, where the sums took longer than the
// reads (the native addon sums in C++ on threads of its own). A worker sees only shared memory: the views summed
// must be of a SharedArrayBuffer, as ort-node-backend.ts allocates its cache.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

// Each block is the list of its pieces of memory, in order, summed as BlockSums (kv-snapshot.ts) sums a stream. The
// worker thread's whole program, evaluated rather than loaded from a file so that no bundle entry is needed for it.
const PROGRAM = `
const { parentPort } = require('node:worker_threads');
const { crc32 } = require('node:zlib');
parentPort.on('message', ({ id, blocks }) => {
  const sums = new Uint32Array(blocks.length);
  for (let i = 0; i < blocks.length; i++) {
    let crc = 0;
    for (const part of blocks[i]) crc = crc32(part, crc);
    sums[i] = crc;
  }
  parentPort.postMessage({ id, sums }, [sums.buffer]);
});
`;

// Enough to keep two reads' worth of checking beside the reads on a small machine; more cores sum more at once.
const MAX_WORKERS = 4;

interface Job {
  resolve: (sums: Uint32Array) => void;
  reject: (error: Error) => void;
}

class SumWorker {
  readonly #worker: Worker;
  readonly #jobs = new Map<number, Job>();

  constructor(onExit: () => void) {
    this.#worker = new Worker(PROGRAM, { eval: true });
    this.#worker.on('message', ({ id, sums }: { id: number; sums: Uint32Array }) => {
      this.#jobs.get(id)?.resolve(sums);
      this.#jobs.delete(id);
      // An idle worker never keeps the process alive.
      if (this.#jobs.size === 0) this.#worker.unref();
    });
    const fail = (error: Error) => {
      for (const job of this.#jobs.values()) job.reject(error);
      this.#jobs.clear();
      onExit();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`a checksum thread ended (${code})`)));
    this.#worker.unref();
  }

  get pending(): number {
    return this.#jobs.size;
  }

  sum(id: number, blocks: Uint8Array[][]): Promise<Uint32Array> {
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ id, blocks });
    });
  }
}

let workers: SumWorker[] = [];
let nextId = 0;

function startWorkers(): SumWorker[] {
  return Array.from({ length: Math.min(MAX_WORKERS, availableParallelism()) }, () => {
    // A worker that ends leaves the pool; the next call starts a new pool if none is left.
    const worker: SumWorker = new SumWorker(() => (workers = workers.filter((w) => w !== worker)));
    return worker;
  });
}

// The block sums of `blocks` on the least busy worker thread; the threads start at the first call and stay.
export function sumBlocksAside(blocks: Uint8Array[][]): Promise<Uint32Array> {
  if (workers.length === 0) workers = startWorkers();
  const idle = workers.reduce((a, b) => (b.pending < a.pending ? b : a));
  return idle.sum(nextId++, blocks);
}
