// The engine's record of what its cache holds: an Int32Array that grows past its first capacity without losing
// or shifting a token, cuts back, and hands out views (not copies).
import { describe, expect, it } from 'vitest';
import { TokenLog } from '../../../electron/node/engine/token-log.ts';

describe('TokenLog', () => {
  it('keeps every token in order across growth, truncation and replacement', () => {
    const log = new TokenLog();
    const first = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 128_256);
    log.append(first.slice(0, 3000));
    log.append(new Int32Array(first.slice(3000)));
    expect(log.length).toBe(5000);
    expect(Array.from(log.view())).toEqual(first);
    expect(log.at(4999)).toBe(first[4999]);
    log.truncate(10);
    log.append([1, 2]);
    expect(Array.from(log.view())).toEqual([...first.slice(0, 10), 1, 2]);
    expect(Array.from(log.view(3))).toEqual(first.slice(0, 3));
    log.replace(new Int32Array([9, 8, 7]));
    expect(Array.from(log.view())).toEqual([9, 8, 7]);
  });

  it('hands out a view of its own memory, not a copy', () => {
    const log = new TokenLog();
    log.append([4, 5, 6]);
    const view = log.view();
    log.truncate(1);
    log.append([42]);
    expect(view[1]).toBe(42);
  });
});
