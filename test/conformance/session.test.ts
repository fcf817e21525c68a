// The rest of a session's life on every provider, against the float64 reference: single-token decode steps
// after a long prefill, rewinding over a cache that holds other tokens, and cancelling a prefill between
// chunks and inside a run, then resuming.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSession } from '../../electron/node/engine/engine-session.ts';
import { conformanceModel, conformanceProviders, openSession, PROMPT, referenceLogits, report, TOLERANCE, worstDiff } from './harness.ts';

// Whether a cancel stops a step in the middle (see the last test).
const TERMINATES: Record<string, boolean> = { cpu: true, webgpu: false };

describe.each(conformanceProviders())('session on %s, fp32 weights', (provider) => {
  let s: EngineSession;
  let reference: Float64Array[];
  const figures: string[] = [];
  beforeAll(async () => {
    reference = await referenceLogits();
    s = await openSession(await conformanceModel('fp32'), provider);
  });
  afterAll(async () => {
    report(`session ${provider}`, figures);
    await s?.release();
  });

  it('decodes one token at a time after a 300-token prefill, matching the reference at each step', async () => {
    const n = 300;
    s.rewind(0);
    await s.prefill(PROMPT.slice(0, n), { chunk: n });
    let worst = 0;
    for (let i = 0; i < 12; i++) {
      const logits = await s.prefill([PROMPT[n + i]]);
      worst = Math.max(worst, worstDiff(logits, reference, n + i));
      // The step the reference would take greedily is the one the provider takes.
      expect(logits.indexOf(Math.max(...logits))).toBe(argmax(reference[n + i]));
    }
    figures.push(`12 decode steps after 300: max |Δ| ${worst.toExponential(1)}`);
    expect(worst).toBeLessThan(TOLERANCE.fp32);
  });

  it('rewinds over a cache holding other tokens and continues as if they were never there', async () => {
    s.rewind(0);
    await s.prefill(PROMPT.slice(0, 400), { chunk: 400 });
    s.rewind(150);
    // 100 other tokens overwrite cache rows 150..249; rewinding again must leave no trace of them.
    await s.prefill(Array.from({ length: 100 }, (_, i) => (i * 31 + 7) % 499), { chunk: 100 });
    s.rewind(150);
    const before = s.prefilledTokens;
    const got = await s.sync(PROMPT.slice(0, 400), { chunk: 64, allLogits: true });
    // sync reuses the 150 cached tokens and prefills only the rest.
    expect(s.prefilledTokens - before).toBe(250);
    const worst = worstDiff(got, reference, 150);
    figures.push(`rewind to 150 over 100 other tokens, then 250 in chunks of 64: max |Δ| ${worst.toExponential(1)}`);
    expect(worst).toBeLessThan(TOLERANCE.fp32);
  });

  it('cancels between chunks, keeps the finished chunks and resumes from them', async () => {
    s.rewind(0);
    const controller = new AbortController();
    await expect(
      s.prefill(PROMPT.slice(0, 600), { chunk: 64, signal: controller.signal, onProgress: (p) => p.done >= 128 && controller.abort() }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(s.length).toBe(128);
    const before = s.prefilledTokens;
    const last = await s.sync(PROMPT.slice(0, 600), { chunk: 512 });
    expect(s.prefilledTokens - before).toBe(600 - 128);
    const worst = worstDiff(last, reference, 599);
    figures.push(`cancel at 128 of 600, resume: max |Δ| ${worst.toExponential(1)}`);
    expect(worst).toBeLessThan(TOLERANCE.fp32);
  });

  it('a cancel inside a running step leaves the cache as it was or, if the step wins, complete', async () => {
    // One chunk of 1,000 tokens: no chunk boundary to stop at, so CANCELLED can only come from terminating the
    // run. ORT polls the terminate flag between kernels. On cpu that stops the step; on WebGPU the kernels are
    // queued within milliseconds and the device then works through them, so the step finishes and the cancel
    // lands at the next chunk boundary (docs/gpu-providers.md). Either way the session must stay consistent.
    // cpu: attempts abort ever later until one lands inside the step; webgpu: one attempt (SwiftShader is slow).
    const outcomes: string[] = [];
    for (const delay of TERMINATES[provider] ? [0, 1, 4, 16] : [0]) {
      s.rewind(0);
      await s.prefill(PROMPT.slice(0, 24));
      const controller = new AbortController();
      const pending = s.prefill(PROMPT.slice(24, 1024), { chunk: 1000, signal: controller.signal });
      setTimeout(() => controller.abort(), delay);
      const outcome = await pending.then(
        (logits) => ({ code: 'completed', logits }),
        (error: { code?: string }) => ({ code: error.code ?? String(error), logits: null }),
      );
      outcomes.push(`${delay} ms: ${outcome.code}`);
      if (outcome.logits) {
        expect(s.length).toBe(1024);
        expect(worstDiff(outcome.logits, reference, 1023)).toBeLessThan(TOLERANCE.fp32);
      } else {
        expect(outcome.code).toBe('CANCELLED');
        expect(s.length).toBe(24);
      }
      // Whatever the step left in the cache beyond the kept length is ignored and overwritten.
      s.rewind(24);
      const got = await s.prefill(PROMPT.slice(24, 64), { allLogits: true });
      expect(worstDiff(got, reference, 24)).toBeLessThan(TOLERANCE.fp32);
      if (outcome.code === 'CANCELLED') break;
    }
    figures.push(`abort inside a 1000-token step: ${outcomes.join(', ')}`);
    if (TERMINATES[provider]) expect(outcomes.some((o) => o.endsWith('CANCELLED'))).toBe(true);
  });
});

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}
