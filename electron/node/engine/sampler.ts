// Token selection from last-position logits, and stop-string detection on streamed text. Pure: the same
// seed, settings and logits always give the same tokens.
import { QuireError } from '../../common/errors.ts';
import { mulberry32 } from '../../common/random.ts';

export interface SamplingOptions {
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  // HF convention: a seen token's positive logit is divided by it, a negative one multiplied.
  repetitionPenalty?: number;
  seed?: number;
}


export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

export function applyRepetitionPenalty(logits: Float32Array, previous: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const token of new Set(previous)) {
    const value = logits[token];
    logits[token] = value > 0 ? value / penalty : value * penalty;
  }
}

export class Sampler {
  readonly options: SamplingOptions;
  private readonly random: () => number;

  constructor(options: SamplingOptions = {}) {
    this.options = options;
    this.random = mulberry32(options.seed ?? Date.now());
  }

  // `previous`: the tokens the repetition penalty looks at (prompt and generated so far). `allowed`: the only
  // tokens that may be drawn (constrained decoding), whose scores alone are gathered; the logits are read in
  // place, not copied, unless a repetition penalty changes them.
  next(logits: Float32Array, previous: Iterable<number> = [], allowed: Int32Array | null = null): number {
    const o = this.options;
    const penalty = o.repetitionPenalty ?? 1;
    let scores = logits;
    if (penalty !== 1) {
      scores = new Float32Array(logits);
      applyRepetitionPenalty(scores, previous, penalty);
    }
    // Candidate i is token `allowed[i]`, or token i without a mask.
    const count = allowed ? allowed.length : scores.length;
    if (count === 0) throw new QuireError('INTERNAL', 'no token is allowed at this step');
    const tokenOf = allowed ? (i: number) => allowed[i] : (i: number) => i;
    let candidates = scores;
    if (allowed) {
      candidates = new Float32Array(count);
      for (let i = 0; i < count; i++) candidates[i] = scores[allowed[i]];
    }
    const temperature = o.temperature ?? 1;
    if (o.greedy || temperature <= 0) return tokenOf(argmax(candidates));

    // Unnormalised softmax weights over the candidates: O(V), no sort (a 128K-entry sort per token
    // would cost more than a GPU decode step).
    const max = candidates[argmax(candidates)];
    const weights = new Float64Array(count);
    let total = 0;
    for (let i = 0; i < count; i++) total += weights[i] = Math.exp((candidates[i] - max) / temperature);
    const topK = o.topK && o.topK > 0 && o.topK < count ? o.topK : 0;
    const topP = o.topP ?? 1;
    if (!topK && topP >= 1) return tokenOf(this.pick(weights, null, total));

    // Candidates in descending weight: the k best, or the fewest heaviest that can hold the top-p mass.
    const order = topK ? largest(weights, topK) : heaviest(weights, topP * total);
    if (topK) total = order.reduce((sum, i) => sum + weights[i], 0);
    let kept = order.length;
    if (topP < 1) {
      let cumulative = 0;
      for (let i = 0; i < order.length; i++) {
        cumulative += weights[order[i]];
        if (cumulative >= topP * total) {
          kept = i + 1;
          break;
        }
      }
    }
    return tokenOf(this.pick(weights, order.slice(0, kept), null));
  }

  // Draws one token in proportion to its weight, among `tokens` (or the whole vocabulary, of weight `total`).
  private pick(weights: Float64Array, tokens: number[] | null, total: number | null): number {
    const count = tokens ? tokens.length : weights.length;
    const tokenAt = (i: number) => (tokens ? tokens[i] : i);
    let mass = total ?? 0;
    if (total === null) for (let i = 0; i < count; i++) mass += weights[tokenAt(i)];
    let r = this.random() * mass;
    for (let i = 0; i < count; i++) {
      r -= weights[tokenAt(i)];
      if (r < 0) return tokenAt(i);
    }
    // Rounding left r ≥ 0 after the last candidate: the last one it is.
    return tokenAt(count - 1);
  }
}

const byWeight = (weights: ArrayLike<number>) => (a: number, b: number) => weights[b] - weights[a] || a - b;

// The k heaviest tokens, heaviest first (a bounded min-heap: O(V log k)).
export function largest(weights: ArrayLike<number>, k: number): number[] {
  const heap: number[] = [];
  const lighter = (a: number, b: number) => weights[a] < weights[b] || (weights[a] === weights[b] && a > b);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && lighter(heap[l], heap[m])) m = l;
      if (r < heap.length && lighter(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let token = 0; token < weights.length; token++) {
    if (heap.length < k) {
      heap.push(token);
      for (let i = heap.length - 1; i > 0 && lighter(heap[i], heap[(i - 1) >> 1]); i = (i - 1) >> 1) {
        [heap[i], heap[(i - 1) >> 1]] = [heap[(i - 1) >> 1], heap[i]];
      }
    } else if (lighter(heap[0], token)) {
      heap[0] = token;
      siftDown(0);
    }
  }
  return heap.sort(byWeight(weights));
}

// Every token at or above a weight threshold low enough that they hold at least `mass`, heaviest first: a
// superset of the top-p nucleus, found by lowering the threshold 16× at a time (weights are ≤ 1).
function heaviest(weights: Float64Array, mass: number): number[] {
  let threshold = 1;
  for (;;) {
    threshold /= 16;
    let held = 0;
    for (let i = 0; i < weights.length; i++) if (weights[i] >= threshold) held += weights[i];
    if (held >= mass || threshold < Number.MIN_VALUE) break;
  }
  const out: number[] = [];
  for (let i = 0; i < weights.length; i++) if (weights[i] >= threshold) out.push(i);
  return out.sort(byWeight(weights));
}

// Watches streamed text for stop strings. Text that could still be the start of a stop string is held back,
// so a caller that prints `emit` never shows part of a stop string.
export class StopMatcher {
  private readonly stops: string[];
  private pending = '';
  stopped = false;

  constructor(stops: readonly string[] = []) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  push(text: string): string {
    if (this.stopped) return '';
    this.pending += text;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.pending.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      const out = this.pending.slice(0, cut);
      this.pending = '';
      return out;
    }
    const hold = this.heldBack();
    const out = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return out;
  }

  // Whatever is still held when generation ends for another reason (max tokens, end of sequence).
  flush(): string {
    const out = this.stopped ? '' : this.pending;
    this.pending = '';
    return out;
  }

  // Length of the longest suffix of pending text that is a proper prefix of some stop string.
  private heldBack(): number {
    let hold = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.pending.length); n > hold; n--) {
        if (this.pending.endsWith(stop.slice(0, n))) {
          hold = n;
          break;
        }
      }
    }
    return hold;
  }
}
