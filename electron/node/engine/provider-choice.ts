// Which execution providers `auto` tries, in order, and why: cuda (its libraries installed) > dml (Windows)
// > webgpu (a real GPU adapter) > cpu. Each candidate is tried when the session is created; one that fails to
// start, cannot run the model or fails the provider check falls through to the next, ending at cpu, and the
// report says what happened.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { QuireError } from '../../common/errors.ts';
import { PROVIDER_CHOICES, type Provider, type ProviderChoice } from '../../../models/model-spec.ts';
import { cudaAdapter, describeAdapter, readGpusAside, webgpuAdapter, type AdapterProbe, type GpuAdapter } from './gpu-adapter.ts';
import { onnxruntimeLibrary } from './native-addon.ts';

// The one provider list is the model spec's; re-exported for the engine's callers.
export { PROVIDER_CHOICES, type Provider, type ProviderChoice };

export interface Candidate {
  provider: Provider;
  why: string;
  // The GPU it runs on, where known.
  adapter?: GpuAdapter | null;
}

// QUIRE_PROVIDER overrides the provider of every command and of the app's Settings, for this process.
export function providerFromEnv(env: NodeJS.ProcessEnv = process.env): ProviderChoice | undefined {
  const value = env.QUIRE_PROVIDER;
  if (value === undefined || value === '') return undefined;
  if (!(PROVIDER_CHOICES as readonly string[]).includes(value)) {
    throw new QuireError('USAGE', `QUIRE_PROVIDER wants one of ${PROVIDER_CHOICES.join(', ')}, got "${value}"`);
  }
  return value as ProviderChoice;
}

// onnxruntime-node's installer fetches the CUDA provider libraries only where CUDA 12 is usable.
function cudaInstalled(platform: NodeJS.Platform, library: string | null): boolean {
  return platform === 'linux' && library !== null && existsSync(join(dirname(library), 'libonnxruntime_providers_cuda.so'));
}

// Where `auto` asks Vulkan for the WebGPU adapter (a Mac's Metal GPU needs no probe).
const probesVulkan = (platform: NodeJS.Platform) => platform === 'linux' || platform === 'win32';

export function autoCandidates(
  platform: NodeJS.Platform = process.platform,
  library = onnxruntimeLibrary(),
  probe: () => AdapterProbe = webgpuAdapter,
): Candidate[] {
  const out: Candidate[] = [];
  if (cudaInstalled(platform, library)) {
    const adapter = cudaAdapter();
    out.push({ provider: 'cuda', why: `CUDA provider libraries are installed${adapter ? `; ${describeAdapter(adapter)}` : ''}`, adapter });
  }
  if (platform === 'win32') out.push({ provider: 'dml', why: 'DirectML ships with onnxruntime-node on Windows' });
  let noGpu = 'no GPU provider available';
  if (platform === 'darwin') {
    // GroupQueryAttention has a WebGPU kernel (Metal underneath); CoreML would leave it to the CPU. Every Mac
    // since 2012 has a Metal GPU, so there is nothing to probe.
    out.push({ provider: 'webgpu', why: 'WebGPU (Metal) runs GroupQueryAttention on the GPU' });
  } else if (probesVulkan(platform)) {
    const { adapter, reason } = probe();
    if (adapter && !adapter.software) {
      out.push({ provider: 'webgpu', why: `WebGPU on ${describeAdapter(adapter)}`, adapter });
    } else if (adapter) {
      // A software rasterizer is correct but slower than onnxruntime's own CPU kernels.
      noGpu = `only a software GPU (${adapter.name}): WebGPU on it is slower than cpu, choose webgpu explicitly to use it`;
    } else {
      noGpu = `no GPU provider available (WebGPU: ${reason})`;
    }
  }
  out.push({ provider: 'cpu', why: out.length ? 'fallback' : noGpu });
  return out;
}

// What an explicitly chosen provider runs on, for the report and the provider check's cache key.
export function adapterFor(provider: Provider): GpuAdapter | null {
  if (provider === 'cuda') return cudaAdapter();
  if (provider === 'webgpu' && process.platform !== 'darwin') return webgpuAdapter().adapter;
  return null;
}

// The providers a choice tries, in order: the one asked for, or what `auto` picks here.
export function candidatesFor(choice: ProviderChoice): Candidate[] {
  return choice === 'auto' ? autoCandidates() : [{ provider: choice, why: 'requested', adapter: adapterFor(choice) }];
}

// What candidatesFor(choice) asks of the GPUs, asked off the event loop (gpu-adapter.ts readGpusAside): the app's
// process awaits this before a fit check or a conversion plan, which then blocks on no driver.
export function readGpusFor(choice: ProviderChoice): Promise<void> {
  const auto = choice === 'auto';
  return readGpusAside({
    vulkan: auto ? probesVulkan(process.platform) : choice === 'webgpu' && process.platform !== 'darwin',
    cuda: choice === 'cuda' || (auto && cudaInstalled(process.platform, onnxruntimeLibrary())),
  });
}
