// Which execution providers `auto` tries, in order, and why. Each candidate is tried when the session is
// created; one that fails to start falls through to the next, ending at cpu, and the report says what happened.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { onnxruntimeLibrary } from './native-addon.ts';

export type Provider = 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';

export interface Candidate {
  provider: Provider;
  why: string;
}

export function autoCandidates(platform: NodeJS.Platform = process.platform, library = onnxruntimeLibrary()): Candidate[] {
  const out: Candidate[] = [];
  const dir = library ? dirname(library) : null;
  // onnxruntime-node's installer fetches the CUDA provider libraries only where CUDA 12 is usable.
  if (platform === 'linux' && dir && existsSync(join(dir, 'libonnxruntime_providers_cuda.so'))) {
    out.push({ provider: 'cuda', why: 'CUDA provider libraries are installed' });
  }
  if (platform === 'win32') out.push({ provider: 'dml', why: 'DirectML ships with onnxruntime-node on Windows' });
  // GroupQueryAttention has a WebGPU kernel (Metal underneath); CoreML would leave it to the CPU.
  if (platform === 'darwin') out.push({ provider: 'webgpu', why: 'WebGPU (Metal) runs GroupQueryAttention on the GPU' });
  out.push({ provider: 'cpu', why: out.length ? 'fallback' : 'no GPU provider available' });
  return out;
}
