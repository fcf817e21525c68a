import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../electron/common/random.ts';
import { applyRepetitionPenalty, argmax, Sampler, StopMatcher } from '../../../electron/node/engine/sampler.ts';

const logits = new Float32Array([1, 3, 2.5, -1, 0]);

function histogram(sampler: Sampler, n: number, input = logits): number[] {
  const counts = new Array(input.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampler.next(input)]++;
  return counts;
}

describe('sampler', () => {
  it('greedy picks the argmax, also at temperature 0', () => {
    expect(argmax(logits)).toBe(1);
    expect(new Sampler({ greedy: true }).next(logits)).toBe(1);
    expect(new Sampler({ temperature: 0 }).next(logits)).toBe(1);
  });

  it('draws only allowed tokens, in proportion among them, and leaves the logits as they were', () => {
    const input = new Float32Array(logits);
    const allowed = Int32Array.from([4, 0, 3]);
    expect(new Sampler({ greedy: true }).next(input, [], allowed)).toBe(0);
    const counts = new Array(input.length).fill(0);
    const sampler = new Sampler({ seed: 3, temperature: 1, topK: 2 });
    for (let i = 0; i < 2000; i++) counts[sampler.next(input, [], allowed)]++;
    // Top-2 among the allowed: tokens 0 (logit 1) and 4 (logit 0), e : 1.
    expect(counts[1] + counts[2] + counts[3]).toBe(0);
    expect(counts[0] / counts[4]).toBeGreaterThan(2.2);
    expect(counts[0] / counts[4]).toBeLessThan(3.3);
    expect(input).toEqual(logits);
  });

  it('is reproducible with a seed', () => {
    const a = histogram(new Sampler({ seed: 7, temperature: 1 }), 50);
    const b = histogram(new Sampler({ seed: 7, temperature: 1 }), 50);
    expect(a).toEqual(b);
    const r = mulberry32(1);
    const values = Array.from({ length: 1000 }, r);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });

  it('samples in proportion to softmax(logits / T)', () => {
    const counts = histogram(new Sampler({ seed: 3, temperature: 2 }), 20000);
    const w = Array.from(logits, (x) => Math.exp(x / 2));
    const z = w.reduce((a, b) => a + b, 0);
    counts.forEach((c, i) => expect(c / 20000).toBeCloseTo(w[i] / z, 1));
  });

  it('top-k keeps only the k best', () => {
    const counts = histogram(new Sampler({ seed: 1, topK: 2 }), 2000);
    expect(counts[0] + counts[3] + counts[4]).toBe(0);
    expect(counts[1]).toBeGreaterThan(counts[2]);
    expect(counts[2]).toBeGreaterThan(0);
  });

  it('top-p keeps the smallest set reaching p', () => {
    // softmax of [1,3,2.5,-1,0]: token 1 ≈ 0.53, token 2 ≈ 0.32 → p = 0.5 keeps token 1 only, p = 0.8 keeps 1 and 2.
    expect(histogram(new Sampler({ seed: 1, topP: 0.5 }), 500)[1]).toBe(500);
    const counts = histogram(new Sampler({ seed: 1, topP: 0.8 }), 2000);
    expect(counts[1] + counts[2]).toBe(2000);
    expect(counts[2]).toBeGreaterThan(0);
  });

  it('keeps exactly the top-k set and the top-p nucleus on a large vocabulary', () => {
    // Large enough for the partial-selection paths, small enough to stay quick on two loaded cores.
    const V = 12000;
    const big = Float32Array.from({ length: V }, (_, i) => Math.sin(i * 12.9898) * 4);
    const sorted = Array.from(big.keys()).sort((a, b) => big[b] - big[a]);
    const top = new Set(sorted.slice(0, 30));
    const k = new Sampler({ seed: 5, topK: 30 });
    for (let i = 0; i < 300; i++) expect(top.has(k.next(big))).toBe(true);
    // Reference nucleus from a full sort.
    const w = sorted.map((t) => Math.exp(big[t] - big[sorted[0]]));
    const z = w.reduce((a, b) => a + b, 0);
    let cumulative = 0;
    let size = 0;
    while (cumulative < 0.3 * z) cumulative += w[size++];
    const nucleus = new Set(sorted.slice(0, size));
    const p = new Sampler({ seed: 5, topP: 0.3 });
    const seen = new Set<number>();
    for (let i = 0; i < 1500; i++) {
      const t = p.next(big);
      expect(nucleus.has(t)).toBe(true);
      seen.add(t);
    }
    // Its last (lightest) member is reachable too.
    expect(seen.size).toBeGreaterThan(size / 2);
  });

  it('repetition penalty pushes seen tokens down in both signs', () => {
    const x = new Float32Array([2, -2, 1]);
    applyRepetitionPenalty(x, [0, 1, 1], 2);
    expect(Array.from(x)).toEqual([1, -4, 1]);
    expect(new Sampler({ greedy: true, repetitionPenalty: 2 }).next(new Float32Array([2, 1.5]), [0])).toBe(1);
  });
});

describe('stop strings', () => {
  it('stops at a stop string split across pushes and never emits part of it', () => {
    const m = new StopMatcher(['<|eot|>', '\n\nUser:']);
    let out = '';
    for (const piece of ['Hello', ' world', '<|e', 'ot', '|>', 'ignored']) out += m.push(piece);
    expect(out).toBe('Hello world');
    expect(m.stopped).toBe(true);
    expect(m.flush()).toBe('');
  });

  it('releases held text that turned out not to be a stop', () => {
    const m = new StopMatcher(['STOP']);
    expect(m.push('abc ST')).toBe('abc ');
    expect(m.push('AR')).toBe('STAR');
    expect(m.push('S')).toBe('');
    expect(m.flush()).toBe('S');
    expect(m.stopped).toBe(false);
  });

  it('passes everything through without stops', () => {
    const m = new StopMatcher();
    expect(m.push('a') + m.push('b')).toBe('ab');
  });
});
