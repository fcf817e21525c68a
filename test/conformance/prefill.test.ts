// Prefill on every provider against the float64 reference, at every position: whole prompts of 1 to 1,024
// tokens in one run (the lengths around 32, where onnxruntime's WebGPU attention switches from its decode
// kernels to flash-attention prefill, and around its 64-query tiles), and one prompt fed in chunks of 1, 7,
// 31, 32, 64 and 512 tokens, each chunk attending to the cache the earlier ones wrote.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSession } from '../../electron/node/engine/engine-session.ts';
import { conformanceModel, conformanceProviders, openSession, PROMPT, referenceLogits, report, TOLERANCE, worstDiff } from './harness.ts';

const LENGTHS = [1, 2, 31, 32, 33, 63, 64, 65, 255, 1024];
// Prompt length per chunk size: long enough for several chunks and a cache past the original 128-position
// RoPE context, short enough that one-token chunks stay quick on SwiftShader.
const CHUNKED: [chunk: number, tokens: number][] = [[1, 40], [7, 100], [31, 200], [32, 600], [64, 600], [512, 1024]];

describe.each(conformanceProviders())('prefill on %s, fp32 weights', (provider) => {
  let s: EngineSession;
  let reference: Float64Array[];
  const figures: string[] = [];
  beforeAll(async () => {
    reference = await referenceLogits();
    s = await openSession(await conformanceModel('fp32'), provider);
    expect(s.report.provider).toBe(provider);
  });
  afterAll(async () => {
    report(`prefill ${provider}`, figures);
    await s?.release();
  });

  it.each(LENGTHS)('a %i-token prompt in one run matches the reference at every position', async (n) => {
    s.rewind(0);
    const got = await s.prefill(PROMPT.slice(0, n), { chunk: n, allLogits: true });
    const worst = worstDiff(got, reference, 0);
    figures.push(`whole ${n}: max |Δ| ${worst.toExponential(1)}`);
    expect(worst).toBeLessThan(TOLERANCE.fp32);
  });

  it.each(CHUNKED)('chunks of %i tokens over a %i-token prompt match the reference at every position', async (chunk, n) => {
    s.rewind(0);
    const got = await s.prefill(PROMPT.slice(0, n), { chunk, allLogits: true });
    const worst = worstDiff(got, reference, 0);
    figures.push(`${n} in chunks of ${chunk}: max |Δ| ${worst.toExponential(1)}`);
    expect(worst).toBeLessThan(TOLERANCE.fp32);
  });
});

// Llama 3's head size: prompts of 32 and 100 tokens in one run, and one of 130 in 64-token
// chunks, so every chunk after the first attends to a cache through the prefill kernel.
const WIDE: [tokens: number, chunk: number][] = [[32, 32], [100, 100], [130, 64]];

describe.each(conformanceProviders())('prefill on %s, fp32 weights, head_dim 128', (provider) => {
  let s: EngineSession;
  let reference: Float64Array[];
  const figures: string[] = [];
  beforeAll(async () => {
    reference = await referenceLogits('llama-head', 130);
    s = await openSession(await conformanceModel('fp32', 'llama-head'), provider);
  });
  afterAll(async () => {
    report(`prefill head_dim 128 ${provider}`, figures);
    await s?.release();
  });

  it.each(WIDE)('%i tokens in chunks of %i match the reference at every position', async (n, chunk) => {
    s.rewind(0);
    const got = await s.prefill(PROMPT.slice(0, n), { chunk, allLogits: true });
    const worst = worstDiff(got, reference, 0);
    figures.push(`${n} in chunks of ${chunk}: max |Δ| ${worst.toExponential(1)}`);
    expect(worst).toBeLessThan(TOLERANCE.fp32);
  });
});
