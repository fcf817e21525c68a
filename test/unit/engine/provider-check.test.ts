// The provider check compares a provider's canary logits with the cpu path's. Here the "provider" is cpu itself
// (providerCheck: 'always') and a perturbed copy of the model stands in for a provider that computes wrong
// logits: the check must refuse it, keep the verdict, and pass the true model. The WebGPU run of the same
// check is in webgpu-provider.test.ts.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import type { GpuAdapter } from '../../../electron/node/engine/gpu-adapter.ts';
import { canaryIds, CANARY_TOKENS, compareLogits, toleranceFor } from '../../../electron/node/engine/provider-check.ts';
import { tinyModel } from './tiny-model.ts';

async function refusal(promise: Promise<unknown>): Promise<QuireError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(QuireError);
    return error as QuireError;
  }
  throw new Error('expected a refusal');
}

describe('logit comparison', () => {
  const reference = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i * 1.7) * 3);

  it('passes identical and rounding-level differences, per io dtype', () => {
    expect(compareLogits(reference, reference, toleranceFor('fp32', 'fp32')).ok).toBe(true);
    const rounded = reference.map((x) => x + 1e-5 * Math.cos(x));
    expect(compareLogits(rounded, reference, toleranceFor('fp32', 'fp32')).ok).toBe(true);
    // fp16 activations round to ~1e-3 of the value: too loose for fp32, within fp16's tolerance.
    const half = reference.map((x, i) => x + (i % 2 ? 0.03 : -0.03));
    expect(compareLogits(half, reference, toleranceFor('fp32', 'fp32')).ok).toBe(false);
    expect(compareLogits(half, reference, toleranceFor('fp16', 'fp16')).ok).toBe(true);
  });

  it('fails a few wrong logits the cosine hardly sees, non-finite values and a wrong length', () => {
    const twoWrong = reference.slice();
    twoWrong[10] += 0.5;
    twoWrong[200] -= 0.5;
    const c = compareLogits(twoWrong, reference, toleranceFor('fp16', 'int8'));
    expect(c.cosine).toBeGreaterThan(0.999);
    expect(c.ok).toBe(false);
    const nan = reference.slice();
    nan[3] = Number.NaN;
    expect(compareLogits(nan, reference, toleranceFor('fp16', 'fp16')).ok).toBe(false);
    expect(compareLogits(reference.subarray(1), reference, toleranceFor('fp16', 'fp16')).ok).toBe(false);
  });

  it('uses one fixed canary that covers a run of 32 or more tokens', () => {
    const ids = canaryIds(256);
    expect(ids).toEqual(canaryIds(256));
    expect(ids.length).toBe(CANARY_TOKENS);
    expect(CANARY_TOKENS).toBeGreaterThanOrEqual(40);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 256)).toBe(true);
    expect(new Set(ids).size).toBeGreaterThan(40);
  });
});

describe('provider check on load', () => {
  let model: string;
  let perturbed: string;
  let fp16: string;
  beforeAll(async () => {
    model = await tinyModel({ seed: 5 });
    // The same weights but two lm_head rows zeroed: two logits wrong, everything else exact.
    perturbed = await tinyModel({ seed: 5, mutedTokens: [17, 101] });
    fp16 = await tinyModel({ seed: 5 }, { precision: 'fp16' });
  });

  it('refuses a provider whose canary logits differ (PROVIDER_CHECK_FAILED), keeps the verdict, and refuses again from it', async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'quire-check-')), 'provider-checks.json');
    const options = { provider: 'cpu' as const, context: 128, providerCheck: 'always' as const, checkCache: cache, checkReference: perturbed };
    const first = await refusal(EngineSession.load(model, options));
    expect(first.code).toBe('PROVIDER_CHECK_FAILED');
    expect(first.message).toMatch(/^cpu computes logits that differ from cpu for this model \(48-token canary: prefill: cosine 0\.\d+, max \|Δ\| [\d.e-]+ .*; its answers would be wrong, use --provider cpu$/);
    const stored = Object.values(JSON.parse(readFileSync(cache, 'utf8')) as Record<string, { ok: boolean; tokens: number }>);
    expect(stored).toEqual([expect.objectContaining({ ok: false, tokens: CANARY_TOKENS, provider: 'cpu' })]);
    // The stored failure stands without running the canary again (even with a correct reference now).
    const again = await refusal(EngineSession.load(model, { ...options, checkReference: model }));
    expect(again.code).toBe('PROVIDER_CHECK_FAILED');
    expect(again.message).toContain('(checked 20');
  });

  it('passes a provider that agrees with cpu, then trusts the kept verdict', async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'quire-check-')), 'provider-checks.json');
    const options = { provider: 'cpu' as const, context: 128, providerCheck: 'always' as const, checkCache: cache };
    const session = await EngineSession.load(model, options);
    expect(session.report.check).toMatch(/^passed on a 48-token canary \(prefill: cosine 1\.000000, max \|Δ\| 0 /);
    expect(session.report.reason).toContain('provider check passed');
    await session.release();
    const cached = await EngineSession.load(model, options);
    expect(cached.report.check).toMatch(/^passed \(cached from 20\d\d-\d\d-\d\d\)$/);
    await cached.release();
    // A context shorter than the canary still gets the whole canary (on a session of its own), then its own size.
    const short = join(mkdtempSync(join(tmpdir(), 'quire-check-')), 'provider-checks.json');
    const small = await EngineSession.load(model, { ...options, checkCache: short, context: 5 });
    expect(small.report.check).toMatch(/^passed on a 48-token canary/);
    expect(small.report.context).toBe(5);
    await small.release();
    const refused = await refusal(EngineSession.load(model, { ...options, checkCache: null, context: 5, checkReference: perturbed }));
    expect(refused.message).toContain('(48-token canary: ');
  });

  it('under auto, falls back to cpu past a GPU that fails the check or lacks a feature, and says so', async () => {
    const gpu: GpuAdapter = { name: 'Test GPU', kind: 'discrete', software: false, vendorId: 1, driver: 'test 1', memoryBytes: 2 ** 30, freeBytes: null, shaderF16: false, source: 'vulkan' };
    const candidates = [
      { provider: 'webgpu' as const, why: 'WebGPU on Test GPU', adapter: gpu },
      { provider: 'cpu' as const, why: 'fallback' },
    ];
    const session = await EngineSession.load(fp16, { provider: 'auto', context: 64, candidates, checkCache: null });
    expect(session.report.provider).toBe('cpu');
    expect(session.report.warning).toBe(
      "webgpu not used: Test GPU has no 16-bit float shaders (WebGPU shader-f16), which this model's fp16 activations need: convert it with --io fp32, or use --provider cpu",
    );
    expect(session.report.reason).toContain('webgpu failed: Test GPU has no 16-bit float shaders');
    await session.release();
    // A GPU whose memory cannot hold the context: refused before any session exists, with its memory named,
    // and auto goes on to the cpu.
    const small: GpuAdapter = { ...gpu, name: 'Small GPU', memoryBytes: 64 * 1024, shaderF16: true };
    const tooSmall = await EngineSession.load(model, { provider: 'auto', context: 64, candidates: [{ provider: 'webgpu', why: 'WebGPU on Small GPU', adapter: small }, candidates[1]], checkCache: null });
    expect(tooSmall.report.provider).toBe('cpu');
    expect(tooSmall.report.warning).toMatch(/^webgpu not used: .* only .* is usable.*\(Small GPU \(VRAM\)\)$/);
    await tooSmall.release();
    // A failed provider check under auto: 'always' checks cpu candidates too, so the stand-in fails against
    // the perturbed reference; with one candidate left nothing can fall back and the refusal stands.
    const cache = join(mkdtempSync(join(tmpdir(), 'quire-check-')), 'provider-checks.json');
    const refused = await refusal(
      EngineSession.load(model, { provider: 'auto', context: 64, candidates: [{ provider: 'cpu', why: 'stand-in' }], providerCheck: 'always', checkCache: cache, checkReference: perturbed }),
    );
    expect(refused.code).toBe('PROVIDER_CHECK_FAILED');
    expect(existsSync(cache)).toBe(true);
  });
});
