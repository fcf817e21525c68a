// mulberry32: tiny, fast and seedable. Sampling, test checkpoints, the tiny tokenizer and the synthetic
// haystacks need reproducible streams, not cryptographic quality; they all draw from this one generator.
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
