import { describe, expect, it } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import { adaptersFromVulkan, describeAdapter, parseNvidiaSmi, type AdapterProbe, type VulkanDevice } from '../../../electron/node/engine/gpu-adapter.ts';
import { autoCandidates, providerFromEnv } from '../../../electron/node/engine/provider-choice.ts';

const GiB = 2 ** 30;
const swiftshader: VulkanDevice = { name: 'SwiftShader Device (Subzero)', deviceType: 4, vendorId: 0x1ae0, driverVersion: 20971520, driverName: 'SwiftShader driver', deviceLocalBytes: 2 * GiB, shaderF16: false };
const llvmpipe: VulkanDevice = { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', deviceType: 4, vendorId: 0x10005, driverVersion: 1, driverName: 'llvmpipe', driverInfo: 'Mesa 22.3.6', deviceLocalBytes: 8 * GiB, shaderF16: true };
const rtx: VulkanDevice = { name: 'NVIDIA GeForce RTX 4090', deviceType: 2, vendorId: 0x10de, driverVersion: 1, driverName: 'NVIDIA', driverInfo: '550.54', deviceLocalBytes: 24 * GiB, shaderF16: true };
const intel: VulkanDevice = { name: 'Intel(R) Graphics (RPL-P)', deviceType: 1, vendorId: 0x8086, driverVersion: 1, driverName: 'Intel open-source Mesa driver', driverInfo: 'Mesa 24.0', deviceLocalBytes: 16 * GiB, shaderF16: true };

const probeOf = (...devices: VulkanDevice[]): (() => AdapterProbe) => () => adaptersFromVulkan({ ok: true, devices });

describe('provider choice', () => {
  it('tries GPU providers where they exist and always ends at cpu', () => {
    const none = () => adaptersFromVulkan({ ok: false, reason: 'no Vulkan loader' });
    expect(autoCandidates('linux', null, none).map((c) => c.provider)).toEqual(['cpu']);
    expect(autoCandidates('win32', null, none).map((c) => c.provider)).toEqual(['dml', 'cpu']);
    expect(autoCandidates('darwin', null, none).map((c) => c.provider)).toEqual(['webgpu', 'cpu']);
    expect(autoCandidates('linux', null, none)[0].why).toBe('no GPU provider available (WebGPU: no Vulkan loader)');
  });

  it('picks WebGPU on Linux and after DirectML on Windows where a real GPU exists, saying which and its memory', () => {
    const linux = autoCandidates('linux', null, probeOf(swiftshader, rtx));
    expect(linux.map((c) => c.provider)).toEqual(['webgpu', 'cpu']);
    expect(linux[0].adapter?.name).toBe('NVIDIA GeForce RTX 4090');
    expect(linux[0].why).toBe('WebGPU on NVIDIA GeForce RTX 4090 (discrete, NVIDIA 550.54; 25.8 GB, free unknown)');
    expect(autoCandidates('win32', null, probeOf(intel)).map((c) => c.provider)).toEqual(['dml', 'webgpu', 'cpu']);
  });

  it('never lets auto pick a software rasterizer, and says why cpu was chosen', () => {
    for (const software of [swiftshader, llvmpipe]) {
      const candidates = autoCandidates('linux', null, probeOf(software));
      expect(candidates.map((c) => c.provider)).toEqual(['cpu']);
      expect(candidates[0].why).toContain(`only a software GPU (${software.name})`);
    }
  });
});

describe('GPU adapter probe', () => {
  it('orders devices as Dawn does under high performance and marks CPU-type devices as software', () => {
    const { adapter, all } = adaptersFromVulkan({ ok: true, devices: [swiftshader, intel, rtx] });
    expect(all.map((a) => a.kind)).toEqual(['discrete', 'integrated', 'software']);
    expect(adapter?.name).toBe(rtx.name);
    expect(all[2]).toMatchObject({ software: true, shaderF16: false, memoryBytes: 2 * GiB, freeBytes: null, driver: 'SwiftShader driver 20971520' });
    // A software driver that calls itself a GPU is still caught by its name.
    expect(adaptersFromVulkan({ ok: true, devices: [{ ...llvmpipe, deviceType: 1 }] }).adapter?.software).toBe(true);
    expect(adaptersFromVulkan({ ok: true, devices: [] })).toMatchObject({ adapter: null, reason: 'the Vulkan loader found no GPU' });
  });

  it('takes NVIDIA memory and driver from nvidia-smi, and says when free memory is unknown', () => {
    const smi = parseNvidiaSmi('NVIDIA GeForce RTX 4090, 24564, 20110, 550.54.14\n\n');
    expect(smi).toEqual([{ name: 'NVIDIA GeForce RTX 4090', totalBytes: 24564 * 2 ** 20, freeBytes: 20110 * 2 ** 20, driver: '550.54.14' }]);
    const { adapter } = adaptersFromVulkan({ ok: true, devices: [rtx] }, smi);
    expect(adapter).toMatchObject({ memoryBytes: 24564 * 2 ** 20, freeBytes: 20110 * 2 ** 20, driver: 'NVIDIA 550.54.14' });
    expect(describeAdapter(adapter!)).toBe('NVIDIA GeForce RTX 4090 (discrete, NVIDIA 550.54.14; 21.1 GB free of 25.8 GB)');
    const integrated = adaptersFromVulkan({ ok: true, devices: [intel] }).adapter!;
    expect(describeAdapter(integrated)).toBe('Intel(R) Graphics (RPL-P) (integrated, Intel open-source Mesa driver Mesa 24.0; 17.2 GB shared, free unknown)');
    expect(describeAdapter({ ...integrated, memoryBytes: null })).toContain('memory unknown');
  });
});

describe('QUIRE_PROVIDER', () => {
  it('overrides the provider with one of the contract list, and refuses anything else with USAGE', () => {
    expect(providerFromEnv({})).toBeUndefined();
    expect(providerFromEnv({ QUIRE_PROVIDER: 'webgpu' })).toBe('webgpu');
    expect(providerFromEnv({ QUIRE_PROVIDER: 'auto' })).toBe('auto');
    let error: unknown;
    try {
      providerFromEnv({ QUIRE_PROVIDER: 'vulkan' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QuireError);
    expect((error as QuireError).code).toBe('USAGE');
    expect((error as QuireError).message).toBe('QUIRE_PROVIDER wants one of auto, cpu, cuda, webgpu, dml, coreml, got "vulkan"');
  });
});

describe('provider override in the app services (serve, desktop, ask)', () => {
  it('takes QUIRE_PROVIDER over Settings, an explicit provider over both, and reports the override', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createAppServices } = await import('../../../electron/node/app-services.ts');
    const root = mkdtempSync(join(tmpdir(), 'quire-override-'));
    const saved = process.env.QUIRE_PROVIDER;
    process.env.QUIRE_PROVIDER = 'webgpu';
    try {
      const viaEnv = createAppServices({ mode: 'browser', root });
      expect(await viaEnv.router('models.engine', {})).toMatchObject({ ok: true, value: { loaded: false, providerOverride: 'webgpu' } });
      // Settings keep the user's own choice; only this process runs otherwise.
      expect(await viaEnv.router('settings.get', {})).toMatchObject({ ok: true, value: { provider: 'auto' } });
      await viaEnv.close();
      const explicit = createAppServices({ mode: 'cli', root, provider: 'cpu' });
      expect(await explicit.router('models.engine', {})).toMatchObject({ ok: true, value: { providerOverride: 'cpu' } });
      await explicit.close();
      process.env.QUIRE_PROVIDER = 'gpu';
      expect(() => createAppServices({ mode: 'browser', root })).toThrow('QUIRE_PROVIDER wants one of');
    } finally {
      if (saved === undefined) delete process.env.QUIRE_PROVIDER;
      else process.env.QUIRE_PROVIDER = saved;
    }
  });
});
