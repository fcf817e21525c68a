import { describe, expect, it } from 'vitest';
import { planFit, RUNTIME_BASE_BYTES, snapshotStagingBytes, type ModelDims } from '../../../electron/node/engine/memory-planner.ts';
import { KV_DTYPES, kvBytesPerToken } from '../../../models/model-spec.ts';

const GiB = 1024 ** 3;
const KiB = 1024;

// Llama-3.1-8B (UltraLong-8B) dimensions.
const llama8b: ModelDims = {
  layers: 32,
  heads: 32,
  kvHeads: 8,
  headDim: 128,
  hiddenSize: 4096,
  intermediateSize: 14336,
  vocabSize: 128256,
  weightBytes: 16 * 1e9,
  ioDtype: 'fp16',
};

describe('memory planner', () => {
  it('matches docs/design.md §3 KV arithmetic for Llama-3.1-8B', () => {
    expect(kvBytesPerToken(llama8b, 'fp16')).toBe(128 * KiB);
    expect(kvBytesPerToken(llama8b, 'int8')).toBe(64 * KiB);
    expect(kvBytesPerToken(llama8b, 'int4')).toBe(32 * KiB);
    expect(kvBytesPerToken(llama8b, 'fp32')).toBe(256 * KiB);
    const report = planFit(llama8b, 'fp16', { availableBytes: 1e15, context: 2 ** 20, prefillChunk: 2048 });
    expect(report.bytes.kv).toBe(128 * GiB);
    expect(planFit(llama8b, 'int4', { availableBytes: 1e15, context: 2 ** 20, prefillChunk: 2048 }).bytes.kv).toBe(32 * GiB);
  });

  it('says why 1M tokens do not fit on an 80 GB GPU at fp16 but do at int4', () => {
    const options = { availableBytes: 80 * GiB, context: 2 ** 20, prefillChunk: 2048 };
    const [fp32, fp16, int8, int4] = KV_DTYPES.map((kv) => planFit({ ...llama8b, weightBytes: 4.5e9 }, kv, options));
    expect(fp32.fits).toBe(false);
    expect(fp16.fits).toBe(false);
    expect(fp16.reason).toMatch(/KV 137 GB/);
    expect(fp16.reason).toMatch(/at most \d+ tokens fit/);
    expect(int8.fits).toBe(true);
    expect(int4.fits).toBe(true);
    expect(int4.maxContext).toBeGreaterThan(2 ** 20);
    // maxContext is consistent with the planner itself.
    const atMax = planFit({ ...llama8b, weightBytes: 4.5e9 }, 'fp16', { ...options, context: fp16.maxContext });
    expect(atMax.fits).toBe(true);
    expect(planFit({ ...llama8b, weightBytes: 4.5e9 }, 'fp16', { ...options, context: fp16.maxContext + 1 }).fits).toBe(false);
  });

  it('refuses when the weights alone exceed the budget', () => {
    const report = planFit(llama8b, 'int4', { availableBytes: 8 * GiB, context: 1024, prefillChunk: 512 });
    expect(report.fits).toBe(false);
    expect(report.maxContext).toBe(0);
    expect(report.reason).toMatch(/weights alone/);
  });

  it('counts quantization scales, chunk activations and logits', () => {
    const base = { availableBytes: 1e12, context: 4096, prefillChunk: 512 };
    const int8 = planFit(llama8b, 'int8', base);
    expect(int8.bytes.kvScales).toBe(2 * 32 * 8 * 128 * 4);
    expect(planFit(llama8b, 'fp16', base).bytes.kvScales).toBe(0);
    const bigger = planFit(llama8b, 'int8', { ...base, prefillChunk: 1024 });
    expect(bigger.bytes.activations).toBe(2 * int8.bytes.activations);
    expect(int8.bytes.logits).toBe(128256 * 4);
    expect(planFit(llama8b, 'int8', { ...base, allLogits: true }).bytes.logits).toBe(512 * 128256 * 4);
    const b = int8.bytes;
    expect(b.total).toBe(b.weights + b.kv + b.kvScales + b.activations + b.logits + b.ropeTables + b.runtime + b.kvCopy);
  });

  it('counts the RoPE tables of the whole context, and the engine process’s runtime where the cache is in host memory', () => {
    const options = { availableBytes: 1e15, context: 2 ** 20, prefillChunk: 512 };
    const gpu = planFit(llama8b, 'fp16', options);
    // cos and sin, d/2 each, in the fp16 io dtype: 256 bytes a position, 256 MiB at 1M.
    expect(gpu.bytes.ropeTables).toBe(2 ** 20 * 128 * 2);
    expect(gpu.bytes.runtime).toBe(0);
    const cpu = planFit(llama8b, 'fp16', { ...options, onHost: true });
    expect(cpu.bytes.runtime).toBe(RUNTIME_BASE_BYTES);
    expect(cpu.bytes.total - gpu.bytes.total).toBe(RUNTIME_BASE_BYTES);
    // The largest context that fits grows its tables with it.
    const tight = { ...options, availableBytes: 40 * GiB, onHost: true };
    const plan = planFit({ ...llama8b, weightBytes: 4.5e9 }, 'int4', tight);
    expect(planFit({ ...llama8b, weightBytes: 4.5e9 }, 'int4', { ...tight, context: plan.maxContext }).fits).toBe(true);
    expect(planFit({ ...llama8b, weightBytes: 4.5e9 }, 'int4', { ...tight, context: plan.maxContext + 1 }).fits).toBe(false);
  });

  it('counts a second cache where the engine path copies it out of every step, and fits less context', () => {
    const options = { availableBytes: 40 * GiB, context: 131072, prefillChunk: 512, onHost: true };
    const model = { ...llama8b, weightBytes: 4.5e9 };
    const native = planFit(model, 'fp16', options);
    const copied = planFit(model, 'fp16', { ...options, cacheCopied: true });
    expect(native.bytes.kvCopy).toBe(0);
    expect(copied.bytes.kvCopy).toBe(copied.bytes.kv);
    expect(copied.bytes.total - native.bytes.total).toBe(native.bytes.kv);
    expect(copied.maxContext).toBeLessThan(native.maxContext);
    expect(planFit(model, 'fp16', { ...options, cacheCopied: true, context: copied.maxContext }).fits).toBe(true);
    expect(planFit(model, 'fp16', { ...options, cacheCopied: true, context: copied.maxContext + 1 }).fits).toBe(false);
    expect(planFit(model, 'fp16', { ...options, cacheCopied: true, context: native.maxContext }).reason).toMatch(/its copy/);
  });

  it('sizes the host staging buffer of a device snapshot as one layer’s K at the full context', () => {
    // UltraLong-8B: 8 KV heads of 128; a 1M-token fp16 cache streams through 2 GiB of host memory.
    expect(snapshotStagingBytes({ kvHeads: 8, headDim: 128, kvDtype: 'fp16' }, 1_048_576)).toBe(2 * 2 ** 30);
    // Quarter the rows at int4 (static scales live beside the tensor, not in its rows).
    expect(snapshotStagingBytes({ kvHeads: 8, headDim: 128, kvDtype: 'int4' }, 1_048_576)).toBe(2 ** 29);
  });
});
