// Token selection from last-position logits, and stop-string detection on streamed text. Pure: the same
// seed, settings and logits always give the same tokens.

export interface SamplingOptions {
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  // HF convention: a seen token's positive logit is divided by it, a negative one multiplied.
  repetitionPenalty?: number;
  seed?: number;
}

// mulberry32: tiny, fast, and seedable; sampling needs reproducibility, not cryptographic quality.
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
    this.random = seededRandom(options.seed ?? Date.now());
  }

  // `previous`: the tokens the repetition penalty looks at (prompt and generated so far).
  next(logits: Float32Array, previous: Iterable<number> = []): number {
    const o = this.options;
    const scores = new Float32Array(logits);
    applyRepetitionPenalty(scores, previous, o.repetitionPenalty ?? 1);
    const temperature = o.temperature ?? 1;
    if (o.greedy || temperature <= 0) return argmax(scores);

    // Candidates sorted by score, cut by top-k before the softmax so it only touches k entries.
    let order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
    if (o.topK && o.topK > 0 && o.topK < order.length) order = order.slice(0, o.topK);
    const max = scores[order[0]];
    const weights = order.map((token) => Math.exp((scores[token] - max) / temperature));
    const total = weights.reduce((a, b) => a + b, 0);
    let kept = order.length;
    const topP = o.topP ?? 1;
    if (topP < 1) {
      let cumulative = 0;
      for (let i = 0; i < order.length; i++) {
        cumulative += weights[i] / total;
        if (cumulative >= topP) {
          kept = i + 1;
          break;
        }
      }
    }
    let mass = 0;
    for (let i = 0; i < kept; i++) mass += weights[i];
    let r = this.random() * mass;
    for (let i = 0; i < kept; i++) {
      r -= weights[i];
      if (r < 0) return order[i];
    }
    return order[kept - 1];
  }
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
