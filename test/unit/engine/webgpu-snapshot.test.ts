// A device-resident cache (WebGPU, run here on SwiftShader, the CPU Vulkan that Debian's chromium ships) is
// saved to a snapshot through the host and restored onto the device by a new engine process; the restored
// cache answers like the CPU path, and the snapshot is the same format the CPU path reads.
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost, forkEngineProcess } from '../../../electron/node/runtime/engine-host.ts';
import { tinyModel } from './tiny-model.ts';
import { maxDiff } from '../logits.ts';
import { loadDocument } from './load-document.ts';

const SWIFTSHADER = '/usr/lib/chromium';
const WEBGPU_ENV = {
  ...process.env,
  VK_ICD_FILENAMES: join(SWIFTSHADER, 'vk_swiftshader_icd.json'),
  // Chromium's own Vulkan loader, for machines without libvulkan1.
  LD_LIBRARY_PATH: [SWIFTSHADER, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'quire-xdg-')),
};
const CONTEXT = 1024;
// Runs of 32 and more new tokens on WebGPU (exact since the subgroup guard, docs/gpu-providers.md).
const CHUNK = 128;
const doc = Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) % 250);
const question = [3, 4, 5, 6, 7];

const hosts: EngineHost[] = [];
function start(provider: 'webgpu' | 'cpu'): EngineHost {
  const host = new EngineHost(forkEngineProcess(provider === 'webgpu' ? WEBGPU_ENV : process.env));
  hosts.push(host);
  return host;
}

let dir: string;
const folder = mkdtempSync(join(tmpdir(), 'quire-webgpu-snap-'));
const snapshotsRoot = join(folder, 'snapshots');
const gpuSnapshot = join(snapshotsRoot, 'doc-gpu', 'a.qkv');
const cpuSnapshot = join(snapshotsRoot, 'doc-cpu', 'a.qkv');
let cpuLogits: Float32Array;

beforeAll(async () => {
  dir = await tinyModel({ originalContext: 512, factor: 4 });
  const cpu = start('cpu');
  await cpu.call('load', { dir, options: { provider: 'cpu', context: CONTEXT } });
  expect(await loadDocument(cpu, { tokens: doc, snapshot: cpuSnapshot, chunk: CHUNK })).toBe('prefill');
  cpuLogits = await cpu.call('sync', { tokens: [...doc, ...question], chunk: CHUNK });
  await cpu.close();
}, 120_000);
afterAll(() => {
  for (const h of hosts) h.kill();
});

describe('a WebGPU (device-resident) cache', () => {
  it('is saved after its prefill, and a new process restores it onto the device', { timeout: 240_000 }, async () => {
    const first = start('webgpu');
    const report = await first.call('load', { dir, options: { provider: 'webgpu', context: CONTEXT } });
    expect(report.provider).toBe('webgpu');
    expect(report.path).toBe('native');
    expect(report.snapshots).toEqual({ ok: true, onDevice: true });
    const warnings: string[] = [];
    expect(await loadDocument(first, { tokens: doc, snapshot: gpuSnapshot, chunk: CHUNK }, { onWarning: (w) => warnings.push(w) })).toBe('prefill');
    expect(warnings).toEqual([]);
    const live = await first.call('sync', { tokens: [...doc, ...question], chunk: CHUNK });
    expect(maxDiff(live, cpuLogits)).toBeLessThan(1e-3);
    await first.close();

    const second = start('webgpu');
    await second.call('load', { dir, options: { provider: 'webgpu', context: CONTEXT } });
    expect(await loadDocument(second, { tokens: doc, snapshot: gpuSnapshot })).toBe('snapshot');
    expect((await second.call('state', {})).prefilledTokens).toBe(0);
    const restored = await second.call('sync', { tokens: [...doc, ...question], chunk: CHUNK });
    expect((await second.call('state', {})).prefilledTokens).toBe(question.length);
    expect(maxDiff(restored, cpuLogits)).toBeLessThan(1e-3);
    // The CPU path's snapshot restores onto the device too: one format.
    await second.call('rewind', { length: 0 });
    expect(await loadDocument(second, { tokens: doc, snapshot: cpuSnapshot })).toBe('snapshot');
    expect(maxDiff(await second.call('sync', { tokens: [...doc, ...question], chunk: CHUNK }), cpuLogits)).toBeLessThan(1e-3);
    await second.close();
  });

  it('snapshot restores on the CPU path, so what came off the device is the cache itself', { timeout: 120_000 }, async () => {
    const cpu = start('cpu');
    await cpu.call('load', { dir, options: { provider: 'cpu', context: CONTEXT } });
    expect(await loadDocument(cpu, { tokens: doc, snapshot: gpuSnapshot })).toBe('snapshot');
    expect((await cpu.call('state', {})).prefilledTokens).toBe(0);
    expect(maxDiff(await cpu.call('sync', { tokens: [...doc, ...question] }), cpuLogits)).toBeLessThan(1e-3);
    await cpu.close();
  });

  it('is neither restored nor saved without the host memory its staging buffer needs, and says so', { timeout: 240_000 }, async () => {
    const { mtimeMs } = statSync(gpuSnapshot);
    const gpu = start('webgpu');
    await gpu.call('load', { dir, options: { provider: 'webgpu', context: CONTEXT, hostAvailableBytes: 1024 } });
    const warnings: string[] = [];
    expect(await loadDocument(gpu, { tokens: doc, snapshot: gpuSnapshot, chunk: CHUNK }, { onWarning: (w) => warnings.push(w) })).toBe('prefill');
    expect(warnings).toEqual([expect.stringMatching(/^this document's saved cache was not restored: restoring a webgpu cache needs [\d.]+ [kMG]B of free memory and 1\.0 kB is free; the document is processed again$/)]);
    // The snapshot stays for a process with room for it.
    expect(statSync(gpuSnapshot).mtimeMs).toBe(mtimeMs);
    warnings.length = 0;
    const other = join(snapshotsRoot, 'doc-other', 'a.qkv');
    await gpu.call('rewind', { length: 0 });
    expect(await loadDocument(gpu, { tokens: doc.slice(0, 200), snapshot: other, chunk: CHUNK }, { onWarning: (w) => warnings.push(w) })).toBe('prefill');
    expect(warnings).toEqual([expect.stringMatching(/^this document's cache could not be saved: saving a webgpu cache needs [\d.]+ [kMG]B of free memory and 1\.0 kB is free; the answer is not affected/)]);
    expect(existsSync(other)).toBe(false);
    await gpu.close();
    // A cache in host memory needs no staging buffer.
    const cpu = start('cpu');
    await cpu.call('load', { dir, options: { provider: 'cpu', context: CONTEXT, hostAvailableBytes: 1024 } });
    expect(await loadDocument(cpu, { tokens: doc, snapshot: gpuSnapshot })).toBe('snapshot');
    await cpu.close();
  });
});
