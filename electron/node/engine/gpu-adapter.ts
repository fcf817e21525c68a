// Which GPU a provider would run on, asked once per process. onnxruntime exposes nothing of the adapter its
// WebGPU provider picks, so the native addon asks the Vulkan loader that Dawn (WebGPU underneath on Linux and
// for the Vulkan path on Windows) loads, and nvidia-smi adds free memory and the driver on NVIDIA cards.
// A CPU-type Vulkan device is a software rasterizer (SwiftShader, llvmpipe/lavapipe): usable when asked for,
// never chosen by `auto`.
import { execFile, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { formatBytes } from '../../common/format.ts';
import { nativeAddonFile, type NativeAddon } from './native-addon.ts';

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
let nvidiaReading: Promise<void> | undefined;
// Free memory moves as other programs use the GPU; a plan made now should not read a figure from an hour ago,
// while a burst of calls (one fit check per library row) should not start nvidia-smi each time.
const NVIDIA_TTL_MS = 10_000;
const NVIDIA_SMI_ARGS = ['--query-gpu=name,memory.total,memory.free,driver_version', '--format=csv,noheader,nounits'];
const NVIDIA_SMI_OPTIONS = { encoding: 'utf8', timeout: 5000 } as const;

const nvidiaFresh = () => nvidiaCache !== undefined && performance.now() - nvidiaCache.at < NVIDIA_TTL_MS;

// What nvidia-smi printed, or null where it could not run (no NVIDIA driver, or not on PATH: memory stays unknown).
function keepNvidia(csv: string | null): NvidiaGpu[] {
  const gpus = csv === null ? [] : parseNvidiaSmi(csv);
  nvidiaCache = { at: performance.now(), gpus };
  return gpus;
}

export function nvidiaGpus(): NvidiaGpu[] {
  if (nvidiaFresh()) return nvidiaCache!.gpus;
  let csv: string | null;
  try {
    csv = execFileSync('nvidia-smi', NVIDIA_SMI_ARGS, { ...NVIDIA_SMI_OPTIONS, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    csv = null;
  }
  return keepNvidia(csv);
}

// nvidia-smi as a child process the event loop does not wait on.
function readNvidiaAside(): Promise<void> {
  if (nvidiaFresh()) return Promise.resolve();
  nvidiaReading ??= promisify(execFile)('nvidia-smi', NVIDIA_SMI_ARGS, NVIDIA_SMI_OPTIONS)
    .then(({ stdout }) => stdout, () => null)
    .then((csv) => void keepNvidia(csv))
    .finally(() => (nvidiaReading = undefined));
  return nvidiaReading;
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
let vulkanProbing: Promise<ProbeRun> | undefined;

const require = createRequire(import.meta.url);

// How the probe ended, in this thread or a worker's: the loader's answer (null from an addon built before the
// probe), or the step that failed. The probe needs the addon alone, not onnxruntime (whose library takes tens of
// milliseconds to open).
type ProbeRun = { probe: VulkanProbe | null } | { failed: 'load' | 'probe'; message: string };

function probeHere(path: string): ProbeRun {
  let addon: Pick<NativeAddon, 'probeVulkan'>;
  try {
    addon = require(path) as NativeAddon;
  } catch (error) {
    return { failed: 'load', message: (error as Error).message };
  }
  try {
    return { probe: addon.probeVulkan?.() ?? null };
  } catch (error) {
    return { failed: 'probe', message: (error as Error).message };
  }
}

// probeHere's steps as a worker thread's whole program, evaluated rather than loaded from a file so that no bundle
// entry is needed for it (as db-checkpoint.ts does).
const PROBE_PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
let run;
try {
  const addon = require(workerData);
  try {
    run = { probe: addon.probeVulkan ? addon.probeVulkan() : null };
  } catch (error) {
    run = { failed: 'probe', message: String(error && error.message) };
  }
} catch (error) {
  run = { failed: 'load', message: String(error && error.message) };
}
parentPort.postMessage(run);
`;

function probeInWorker(path: string): Promise<ProbeRun> {
  return new Promise((resolve) => {
    const worker = new Worker(PROBE_PROGRAM, { eval: true, workerData: path });
    worker.once('message', resolve);
    worker.once('error', (error) => resolve({ failed: 'load', message: error.message }));
    worker.once('exit', (code) => resolve({ failed: 'load', message: `the probe's thread ended (${code}) without an answer` }));
  });
}

function vulkanProbeOf(run: ProbeRun): VulkanProbe {
  if ('failed' in run) {
    const line = run.message.split('\n')[0];
    return { ok: false, reason: run.failed === 'load' ? `native addon failed to load: ${line}` : `Vulkan probe failed: ${line}` };
  }
  return run.probe ?? { ok: false, reason: 'the native addon predates the GPU probe (npm run build:native)' };
}

function probeVulkan(): VulkanProbe {
  const file = nativeAddonFile();
  return file.ok ? vulkanProbeOf(probeHere(file.path)) : { ok: false, reason: file.reason };
}

const listsNvidia = (vulkan: VulkanProbe) => vulkan.ok && vulkan.devices.some((d) => d.vendorId === NVIDIA);

// The Vulkan probe runs once per process (the loader, drivers and GPUs do not change under a running app);
// NVIDIA free memory is re-read (nvidiaGpus' short cache).
export function webgpuAdapter(): AdapterProbe {
  vulkanCache ??= probeVulkan();
  const vulkan = vulkanCache;
  return adaptersFromVulkan(vulkan, listsNvidia(vulkan) ? nvidiaGpus() : []);
}

// What webgpuAdapter() (`vulkan`) and cudaAdapter() (`cuda`) read, read without holding the event loop: the
// Vulkan loader and the drivers it starts (tens to hundreds of milliseconds with a real GPU) in a worker thread,
// nvidia-smi as a child process. Awaited first, those calls then find everything known and block on nothing.
export async function readGpusAside({ vulkan, cuda }: { vulkan: boolean; cuda: boolean }): Promise<void> {
  if (vulkan && !vulkanCache) {
    const file = nativeAddonFile();
    const probe = file.ok ? vulkanProbeOf(await (vulkanProbing ??= probeInWorker(file.path))) : { ok: false as const, reason: file.reason };
    vulkanCache ??= probe;
  }
  if (cuda || (vulkan && listsNvidia(vulkanCache!))) await readNvidiaAside();
}

export function describeAdapter(a: GpuAdapter): string {
  const memory =
    a.memoryBytes === null ? 'memory unknown' : a.freeBytes !== null ? `${formatBytes(a.freeBytes)} free of ${formatBytes(a.memoryBytes)}` : `${formatBytes(a.memoryBytes)}${a.kind === 'integrated' ? ' shared' : ''}, free unknown`;
  return `${a.name} (${a.kind}, ${a.driver}; ${memory})`;
}
