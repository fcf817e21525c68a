// How long the rest of a prefill will take. Reading a chunk of m tokens that starts at position p costs a fixed
// part per token (the weights) and a part per token per position before it (attention over the cache), so the
// time to read a text up to position n grows as a + b·n + c·n²; a linear estimate from the first chunk says
// "28 s" for a 64K-token read that takes 69 s, and "19 s" for 223 s at 128K. The two rates are fitted to the
// chunks measured so far (least squares on t = b·m + c·m·(2p + m)); before two chunks can separate them, the
// rates this machine measured on an earlier read of the same model (kept by the engine) are scaled to the
// first chunk, so the first estimate is already of the right shape.
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface PrefillRates {
  // Seconds per token, and seconds per token per position already in the cache.
  perToken: number;
  perTokenPosition: number;
}

interface Chunk {
  start: number;
  length: number;
  seconds: number;
}

// A chunk's attention work: the positions each of its tokens attends to, summed (m·(2p + m), halved away in c).
const work = (c: { start: number; length: number }) => c.length * (2 * c.start + c.length);

export class PrefillEta {
  #chunks: Chunk[] = [];
  #prior: PrefillRates | null;

  constructor(prior: PrefillRates | null = null) {
    this.#prior = prior;
  }

  add(start: number, length: number, seconds: number): void {
    this.#chunks.push({ start, length, seconds });
  }

  // The rates that explain the chunks so far (null before the first one).
  rates(): PrefillRates | null {
    const chunks = this.#chunks;
    if (chunks.length === 0) return null;
    const time = chunks.reduce((s, c) => s + c.seconds, 0);
    const tokens = chunks.reduce((s, c) => s + c.length, 0);
    if (chunks.length >= 2) {
      // Normal equations of t = b·x + c·y over the chunks.
      let xx = 0, xy = 0, yy = 0, xt = 0, yt = 0;
      for (const c of chunks) {
        const x = c.length;
        const y = work(c);
        xx += x * x;
        xy += x * y;
        yy += y * y;
        xt += x * c.seconds;
        yt += y * c.seconds;
      }
      const det = xx * yy - xy * xy;
      if (det > 1e-12 * xx * yy) {
        const perToken = (xt * yy - yt * xy) / det;
        const perTokenPosition = (xx * yt - xy * xt) / det;
        if (perToken >= 0 && perTokenPosition >= 0) return { perToken, perTokenPosition };
      }
    }
    if (this.#prior) {
      const predicted = chunks.reduce((s, c) => s + this.#prior!.perToken * c.length + this.#prior!.perTokenPosition * work(c), 0);
      if (predicted > 0) {
        const scale = time / predicted;
        return { perToken: this.#prior.perToken * scale, perTokenPosition: this.#prior.perTokenPosition * scale };
      }
    }
    // One chunk and nothing known of this machine: linear, the best a single point can say.
    return { perToken: time / tokens, perTokenPosition: 0 };
  }

  // Seconds to read from position `from` up to `to`.
  remaining(from: number, to: number): number {
    const rates = this.rates();
    if (!rates || to <= from) return 0;
    return rates.perToken * (to - from) + rates.perTokenPosition * work({ start: from, length: to - from });
  }
}

// Rates measured on earlier reads, per model and engine path, in one small JSON file of the data folder.
export class PrefillRateBook {
  #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  get(key: string): PrefillRates | null {
    return this.#read()[key] ?? null;
  }

  // Best effort: a read that cannot record its rates still answered.
  set(key: string, rates: PrefillRates): void {
    try {
      const book = this.#read();
      book[key] = rates;
      mkdirSync(dirname(this.#path), { recursive: true });
      const tmp = `${this.#path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(book));
      renameSync(tmp, this.#path);
    } catch {
      // A full disk or a read-only folder: the next read starts without a prior.
    }
  }

  #read(): Record<string, PrefillRates> {
    try {
      return JSON.parse(readFileSync(this.#path, 'utf8')) as Record<string, PrefillRates>;
    } catch {
      return {};
    }
  }
}
