// int4 weights (MatMulNBits) with fp32 activations and cache, on every provider present. The float64 reference
// knows nothing of quantization, so the cpu provider running the same int4 model is the reference for the
// others, position by position; the cpu path itself is held to chunking invariance and to staying close to
// the float64 reference. onnxruntime's WebGPU int4 kernels need 16-bit float shaders whatever the activation
// dtype: an adapter without shader-f16 (SwiftShader) must refuse the model with that advice, not crash or
// answer wrongly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSession } from '../../electron/node/engine/engine-session.ts';
import { conformanceModel, conformanceProviders, openSession, PROMPT, referenceLogits, report, TOLERANCE, worstDiff } from './harness.ts';
import { cosine } from '../unit/logits.ts';

const N = 300;
// Schedules over the same N tokens: one run, and chunks either side of WebGPU's 32-token prefill switch.
const SCHEDULES = [N, 31, 32, 64];

let cpuRows: Float32Array[] = [];

beforeAll(async () => {
  const s = await openSession(await conformanceModel('int4'), 'cpu');
  const all = await s.prefill(PROMPT.slice(0, N), { chunk: N, allLogits: true });
  const V = s.vocabSize;
  cpuRows = Array.from({ length: N }, (_, i) => all.subarray(i * V, (i + 1) * V));
  await s.release();
});

describe('int4 weights on the cpu provider', () => {
  it('stay close to the float64 reference of the unquantized weights', async () => {
    const reference = await referenceLogits();
    const cosines = cpuRows.map((row, t) => cosine(row, reference[t]));
    const worst = Math.min(...cosines);
    const mean = cosines.reduce((a, b) => a + b, 0) / N;
    report('int4 cpu', [`${N} positions, cosine with the float64 reference: mean ${mean.toFixed(4)}, smallest ${worst.toFixed(4)}`]);
    // Random tiny weights quantize worse than trained ones (measured: mean 0.98, smallest 0.94); a wrong
    // block layout or scale would fall far below.
    expect(mean).toBeGreaterThan(0.95);
    expect(worst).toBeGreaterThan(0.9);
  });
});

describe.each(conformanceProviders())('int4 weights on %s', (provider) => {
  let s: EngineSession | null = null;
  let refusal: { code?: string; message?: string } | null = null;
  const figures: string[] = [];
  beforeAll(async () => {
    try {
      s = await openSession(await conformanceModel('int4'), provider);
      // The refusal may come at load (adapter known to lack shader-f16) or at the first run.
      await s.prefill(PROMPT.slice(0, 1));
    } catch (error) {
      refusal = error as { code?: string; message?: string };
    }
  });
  afterAll(async () => {
    report(`int4 ${provider}`, refusal ? [`refused: ${refusal.message}`] : figures);
    await s?.release();
  });

  it('either matches the cpu provider at every position or refuses the model for lack of shader-f16', async () => {
    if (refusal) {
      expect(provider).not.toBe('cpu');
      expect(refusal.code).toBe('UNSUPPORTED_MODEL');
      expect(refusal.message).toMatch(/shader-f16/);
      return;
    }
    for (const chunk of SCHEDULES) {
      s!.rewind(0);
      const got = await s!.prefill(PROMPT.slice(0, N), { chunk, allLogits: true });
      const worst = worstDiff(got, cpuRows, 0);
      figures.push(`${N} in chunks of ${chunk}: max |Δ| from cpu ${worst.toExponential(1)}`);
      expect(worst).toBeLessThan(TOLERANCE.int4);
    }
  });
});
