import { expect } from 'vitest';

// How close two logit vectors are, for the engine tests: cosine similarity, and the largest elementwise
// difference (a NaN on either side counts as infinitely far).
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Number.isNaN(a[i] - b[i]) ? Infinity : Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
