// Which GPU a provider would run on, asked once per process. onnxruntime exposes nothing of the adapter its
// WebGPU provider picks, so the native addon asks the Vulkan loader that Dawn (WebGPU underneath on Linux and
// for the Vulkan path on Windows) loads, and nvidia-smi adds free memory and the driver on NVIDIA cards.
// A CPU-type Vulkan device is a software rasterizer (SwiftShader, llvmpipe/lavapipe): usable when asked for,
// never chosen by `auto`.
import { execFileSync } from 'node:child_process';
import { formatBytes } from '../../common/format.ts';
import { loadNativeAddon } from './native-addon.ts';

export interface GpuAdapter {
  name: string;
  kind: 'discrete' | 'integrated' | 'virtual' | 'software' | 'other';
  software: boolean;
  vendorId: number;
  // Driver name and version as one string: part of the provider-check cache key.
  driver: string;
  // Device-local memory; integrated GPUs report the share of RAM they may use. null where unknown.
  memoryBytes: number | null;
  // Free device memory, known from nvidia-smi only.
  freeBytes: number | null;
  // WebGPU's shader-f16 (16-bit float shaders); null where it could not be asked.
  shaderF16: boolean | null;
  source: 'vulkan' | 'nvidia-smi';
}

export interface AdapterProbe {
  // The adapter the WebGPU provider would pick, or null.
  adapter: GpuAdapter | null;
  // Every device seen, best first.
  all: GpuAdapter[];
  // Why there is no adapter, or how it was found.
  reason: string;
}

export interface VulkanDevice {
  name: string;
  deviceType: number;
  vendorId: number;
  driverVersion: number;
  driverName?: string;
  driverInfo?: string;
  deviceLocalBytes: number;
  shaderF16?: boolean;
}

export type VulkanProbe = { ok: true; devices: VulkanDevice[] } | { ok: false; reason: string };

export interface NvidiaGpu {
  name: string;
  totalBytes: number;
  freeBytes: number;
  driver: string;
}

const NVIDIA = 0x10de;
const KINDS = ['other', 'integrated', 'discrete', 'virtual', 'software'] as const;
// Dawn's order under the high-performance preference onnxruntime asks for.
const RANK: Record<GpuAdapter['kind'], number> = { discrete: 0, integrated: 1, virtual: 2, other: 3, software: 4 };
// Some software drivers report a GPU type; their names give them away.
const SOFTWARE_NAME = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|basic render driver/i;

export function adaptersFromVulkan(probe: VulkanProbe, nvidia: NvidiaGpu[] = []): AdapterProbe {
  if (!probe.ok) return { adapter: null, all: [], reason: probe.reason };
  const all = probe.devices
    .map((d): GpuAdapter => {
      const software = d.deviceType === 4 || SOFTWARE_NAME.test(d.name) || SOFTWARE_NAME.test(d.driverName ?? '');
      const smi = d.vendorId === NVIDIA ? nvidia.find((g) => g.name === d.name || d.name.includes(g.name) || g.name.includes(d.name)) : undefined;
      const driver = smi ? `NVIDIA ${smi.driver}` : [d.driverName || `vendor 0x${d.vendorId.toString(16)}`, d.driverInfo || String(d.driverVersion)].join(' ').trim();
      return {
        name: d.name,
        kind: software ? 'software' : (KINDS[d.deviceType] ?? 'other'),
        software,
        vendorId: d.vendorId,
        driver,
        memoryBytes: smi ? smi.totalBytes : d.deviceLocalBytes > 0 ? d.deviceLocalBytes : null,
        freeBytes: smi ? smi.freeBytes : null,
        shaderF16: d.shaderF16 ?? null,
        source: 'vulkan',
      };
    })
    .sort((a, b) => RANK[a.kind] - RANK[b.kind]);
  if (all.length === 0) return { adapter: null, all, reason: 'the Vulkan loader found no GPU' };
  return { adapter: all[0], all, reason: `Vulkan lists ${all.map((a) => `${a.name} (${a.kind})`).join(', ')}` };
}

// `nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version --format=csv,noheader,nounits`:
// one line per GPU, memory in MiB.
export function parseNvidiaSmi(csv: string): NvidiaGpu[] {
  return csv
    .split('\n')
    .map((line) => line.split(',').map((f) => f.trim()))
    .filter((f) => f.length >= 4 && f[0] && Number.isFinite(Number(f[1])))
    .map(([name, total, free, driver]) => ({ name, totalBytes: Number(total) * 2 ** 20, freeBytes: Number(free) * 2 ** 20, driver }));
}

let nvidiaCache: { at: number; gpus: NvidiaGpu[] } | undefined;
// Free memory moves as other programs use the GPU; a plan made now should not read a figure from an hour ago,
// while a burst of calls (one fit check per library row) should not start nvidia-smi each time.
const NVIDIA_TTL_MS = 10_000;

export function nvidiaGpus(): NvidiaGpu[] {
  if (nvidiaCache && performance.now() - nvidiaCache.at < NVIDIA_TTL_MS) return nvidiaCache.gpus;
  let gpus: NvidiaGpu[];
  try {
    const csv = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,memory.free,driver_version', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    gpus = parseNvidiaSmi(csv);
  } catch {
    // No NVIDIA driver, or nvidia-smi not on PATH: memory stays unknown.
    gpus = [];
  }
  nvidiaCache = { at: performance.now(), gpus };
  return gpus;
}

// The GPU CUDA's device 0 is: nvidia-smi lists devices in the same (PCI bus) order by default.
export function cudaAdapter(): GpuAdapter | null {
  const gpu = nvidiaGpus()[0];
  if (!gpu) return null;
  return {
    name: gpu.name,
    kind: 'discrete',
    software: false,
    vendorId: NVIDIA,
    driver: `NVIDIA ${gpu.driver}`,
    memoryBytes: gpu.totalBytes,
    freeBytes: gpu.freeBytes,
    shaderF16: null,
    source: 'nvidia-smi',
  };
}

let vulkanCache: VulkanProbe | undefined;

function probeVulkan(): VulkanProbe {
  const native = loadNativeAddon();
  if (!native.ok) return { ok: false, reason: native.reason };
  if (!native.addon.probeVulkan) return { ok: false, reason: 'the native addon predates the GPU probe (npm run build:native)' };
  try {
    return native.addon.probeVulkan();
  } catch (error) {
    return { ok: false, reason: `Vulkan probe failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

// The Vulkan probe runs once per process (the loader, drivers and GPUs do not change under a running app);
// NVIDIA free memory is re-read (nvidiaGpus' short cache).
export function webgpuAdapter(): AdapterProbe {
  vulkanCache ??= probeVulkan();
  const vulkan = vulkanCache;
  const nvidia = vulkan.ok && vulkan.devices.some((d) => d.vendorId === NVIDIA) ? nvidiaGpus() : [];
  return adaptersFromVulkan(vulkan, nvidia);
}

export function describeAdapter(a: GpuAdapter): string {
  const memory =
    a.memoryBytes === null ? 'memory unknown' : a.freeBytes !== null ? `${formatBytes(a.freeBytes)} free of ${formatBytes(a.memoryBytes)}` : `${formatBytes(a.memoryBytes)}${a.kind === 'integrated' ? ' shared' : ''}, free unknown`;
  return `${a.name} (${a.kind}, ${a.driver}; ${memory})`;
}
