// What each catalog model would be on this machine (issue 25 point 3): the planner's tokens at each cache, the
// disk and the time, and one recommendation, for the memory the fit check plans against.
import { describe, expect, it } from 'vitest';
import { catalogFit, convertedWeightBytes } from '../../../electron/node/catalog-fit.ts';
import { planFit } from '../../../electron/node/engine/memory-planner.ts';
import { DEFAULT_PREFILL_CHUNK } from '../../../electron/node/engine/engine-session.ts';
import { loadCatalog } from '../../../models/catalog.ts';
import { kvBytesPerToken, resolveConversion } from '../../../models/model-spec.ts';

const GB = 1e9;
const ram = (bytes: number) => ({ device: 'system memory (RAM)', availableBytes: bytes, source: 'free RAM' });
const catalog = loadCatalog();
const cpu = { provider: 'cpu' as const };
const ultralong = (report: ReturnType<typeof catalogFit>, id = 'ultralong-8b-1m') => report.models.find((m) => m.id === id)!;

describe('the catalog on this machine', () => {
  it('gives the tokens that fit 24 GB at each cache, from the memory planner, capped at the model\'s own context', () => {
    const report = catalogFit(catalog, ram(24 * GB), cpu, { prefillChunk: DEFAULT_PREFILL_CHUNK });
    const model = ultralong(report);
    const entry = catalog.find((m) => m.id === 'ultralong-8b-1m')!;
    const int4int8 = model.options.find((o) => o.precision === 'int4' && o.kv === 'int8')!;
    const dims = { ...entry.architecture, weightBytes: convertedWeightBytes(entry.architecture, 'int4'), ioDtype: resolveConversion({ precision: 'int4', kv: 'int8' }, cpu).io };
    const plan = planFit(dims, 'int8', { availableBytes: 24 * GB, context: entry.nativeContext, prefillChunk: DEFAULT_PREFILL_CHUNK, onHost: true });
    expect(int4int8.maxTokens).toBe(plan.maxContext);
    // An int8 cache holds about twice the tokens of an fp16 one in the same memory (int4 weights either way).
    const fp16 = model.options.find((o) => o.precision === 'int4' && o.kv === 'fp16')!;
    expect(int4int8.maxTokens / fp16.maxTokens).toBeGreaterThan(1.8);
    expect(int4int8.maxTokens).toBeGreaterThan(100_000);
    expect(int4int8.maxTokens).toBeLessThan(entry.nativeContext);
    // Every 1M-token cache row the planner counts: the cache alone at that length is beyond 24 GB.
    expect(kvBytesPerToken(entry.architecture, 'int8') * entry.nativeContext).toBeGreaterThan(24 * GB);
  });

  it('says a precision whose weights do not fit holds no tokens, and recommends the most context with an 8-bit or wider cache', () => {
    const model = ultralong(catalogFit(catalog, ram(12 * GB), cpu, { prefillChunk: DEFAULT_PREFILL_CHUNK }));
    expect(model.options.find((o) => o.precision === 'fp32')!.maxTokens).toBe(0);
    const recommended = model.options.filter((o) => o.recommended);
    expect(recommended).toHaveLength(1);
    expect(recommended[0]).toMatchObject({ precision: 'int4' });
    expect(recommended[0].kv).not.toBe('int4');
    expect(model.options.filter((o) => o.kv !== 'int4').every((o) => o.maxTokens <= recommended[0].maxTokens)).toBe(true);
  });

  it('caps each model at its own context where memory is plenty, so the 1M, 2M and 4M cards differ', () => {
    const report = catalogFit(catalog, ram(2000 * GB), cpu, { prefillChunk: DEFAULT_PREFILL_CHUNK });
    const best = (id: string) => Math.max(...ultralong(report, id).options.map((o) => o.maxTokens));
    expect([best('ultralong-8b-1m'), best('ultralong-8b-2m'), best('ultralong-8b-4m')]).toEqual([1_048_576, 2_097_152, 4_194_304]);
  });

  it('counts the disk for the download and the converted weights together, and the times at the stated speeds', () => {
    const report = catalogFit(catalog, ram(24 * GB), cpu, { prefillChunk: DEFAULT_PREFILL_CHUNK, measuredDownloadSpeed: 100e6 });
    const model = ultralong(report);
    const entry = catalog.find((m) => m.id === 'ultralong-8b-1m')!;
    const fp16 = model.options.find((o) => o.precision === 'fp16')!;
    expect(fp16.weightBytes).toBe(entry.architecture.parameterCount * 2);
    expect(fp16.diskBytes).toBe(entry.downloadBytes + fp16.weightBytes);
    expect(model.downloadSeconds).toBeCloseTo(entry.downloadBytes / 100e6);
    expect(model.convertSeconds).toBeCloseTo(entry.downloadBytes / report.convertBytesPerSecond);
    // int4 weights: 4-bit blocks with their scales and an fp16 embedding, about 5.3 GB for 8B.
    expect(convertedWeightBytes(entry.architecture, 'int4') / GB).toBeCloseTo(5.3, 1);
  });
});
