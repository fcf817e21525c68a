import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrefillEta, PrefillRateBook, type PrefillRates } from '../../../electron/node/engine/prefill-eta.ts';
import { mulberry32 } from '../../../electron/common/random.ts';

// The rates measured on this machine's 2-layer 1M-position test model (issue 21's table: 64K read in 69 s, 128K
// in 223 s): the quadratic part is most of a long read.
const MEASURED: PrefillRates = { perToken: 4.3e-4, perTokenPosition: 4.8e-9 };
const CHUNK = 512;

// A read of `total` tokens whose chunks take the modelled time, each off by up to ±15% (a loaded machine).
function read(total: number, rates: PrefillRates, seed = 1) {
  const r = mulberry32(seed);
  const chunks: { start: number; length: number; seconds: number }[] = [];
  for (let start = 0; start < total; start += CHUNK) {
    const length = Math.min(CHUNK, total - start);
    const exact = rates.perToken * length + rates.perTokenPosition * length * (2 * start + length);
    chunks.push({ start, length, seconds: exact * (0.85 + 0.3 * r()) });
  }
  return chunks;
}

// The estimate of the whole read's time once `share` of its time has passed: elapsed plus what is left.
function estimateAt(total: number, share: number, eta: PrefillEta, chunks: ReturnType<typeof read>): { estimate: number; actual: number } {
  const actual = chunks.reduce((s, c) => s + c.seconds, 0);
  let elapsed = 0;
  for (const c of chunks) {
    eta.add(c.start, c.length, c.seconds);
    elapsed += c.seconds;
    if (elapsed >= share * actual) return { estimate: elapsed + eta.remaining(c.start + c.length, total), actual };
  }
  return { estimate: elapsed, actual };
}

describe('the prefill estimate', () => {
  for (const total of [65_536, 131_072]) {
    it(`is within 20% of a ${total / 1024}K read's time after 10% of it, where a linear one is far off`, () => {
      for (const seed of [1, 2, 3]) {
        const chunks = read(total, MEASURED, seed);
        const { estimate, actual } = estimateAt(total, 0.1, new PrefillEta(), chunks);
        expect(Math.abs(estimate - actual) / actual).toBeLessThan(0.2);
        // What the engine said before: tokens left at the speed so far.
        const tenth = chunks.slice(0, chunks.findIndex((_, i) => chunks.slice(0, i + 1).reduce((s, c) => s + c.seconds, 0) >= 0.1 * actual) + 1);
        const done = tenth.reduce((s, c) => s + c.length, 0);
        const spent = tenth.reduce((s, c) => s + c.seconds, 0);
        const linear = spent + ((total - done) * spent) / done;
        expect((actual - linear) / actual).toBeGreaterThan(0.3);
      }
    });
  }

  it("predicts a read from its first chunk with an earlier read's rates, scaled to this machine's speed now", () => {
    const total = 131_072;
    // Today the machine is 1.6x slower than when the rates were recorded.
    const chunks = read(total, { perToken: MEASURED.perToken * 1.6, perTokenPosition: MEASURED.perTokenPosition * 1.6 }, 4);
    const actual = chunks.reduce((s, c) => s + c.seconds, 0);
    const eta = new PrefillEta(MEASURED);
    eta.add(chunks[0].start, chunks[0].length, chunks[0].seconds);
    const estimate = chunks[0].seconds + eta.remaining(CHUNK, total);
    expect(Math.abs(estimate - actual) / actual).toBeLessThan(0.2);
    // Without them a first chunk can only say linear, which misses most of the time.
    const blind = new PrefillEta();
    blind.add(chunks[0].start, chunks[0].length, chunks[0].seconds);
    expect((actual - chunks[0].seconds - blind.remaining(CHUNK, total)) / actual).toBeGreaterThan(0.5);
  });

  it('keeps the rates per model and path in the data folder, and reads none from a damaged file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'quire-eta-')), 'prefill-rates.json');
    const book = new PrefillRateBook(path);
    expect(book.get('m:cpu:native')).toBeNull();
    book.set('m:cpu:native', MEASURED);
    expect(new PrefillRateBook(path).get('m:cpu:native')).toEqual(MEASURED);
    expect(new PrefillRateBook(path).get('m:webgpu:ort-node')).toBeNull();
    writeFileSync(path, '{"m:cpu:native": {"perTok');
    expect(new PrefillRateBook(path).get('m:cpu:native')).toBeNull();
  });
});
