// Finds and initialises the native engine addon (native/), pointing it at the libonnxruntime that
// onnxruntime-node ships so both share one ORT. Absent or broken, the engine falls back to onnxruntime-node
// and says why.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { entryPoints } from '../entry-points.ts';
import { dataDir } from '../paths.ts';
import type { VulkanProbe } from './gpu-adapter.ts';

export interface NativeIoInfo {
  name: string;
  elementType: number;
  shape: number[];
}

export interface NativeSession {
  describe(): { inputs: NativeIoInfo[]; outputs: NativeIoInfo[] };
  allocKv(entries: { past: string; present: string }[], shape: number[], elementType: number, memory?: string): void;
  setInput(name: string, data: ArrayBufferView, shape: number[], elementType: number): void;
  // A zeroed host input of `shape`, written in parts from a byte offset (the RoPE tables, a step's rows at a time).
  allocInput(name: string, shape: number[], elementType: number): void;
  writeInput(name: string, byteOffset: number, data: ArrayBufferView): void;
  bindHostOutput(name: string): void;
  run(): Promise<Record<string, { data: Float32Array; dims: number[] }>>;
  cancel(): boolean;
  // Block CRC-32s of the written data; a load rejects with a message starting "CORRUPT:" at a bad block.
  saveKv(path: string, offset: number, tokens: number, blockBytes: number): Promise<Uint32Array>;
  loadKv(path: string, offset: number, tokens: number, blockBytes: number, sums: Uint32Array): Promise<void>;
  // Whether the cache can be copied to host memory (always, for a host cache), and if not, ORT's reason.
  kvSnapshots(): { ok: boolean; onDevice: boolean; reason?: string };
  release(): void;
}

export interface NativeAddon {
  // logPath: where onnxruntime's own log lines go instead of stderr.
  init(libraryPath: string, options?: { logPath?: string }): string;
  apiVersion: number;
  // Absent from addons built before the GPU probe.
  probeVulkan?(): VulkanProbe;
  // Whether this CPU runs Quire's own int4 kernel (native/src/q4_gemm.cc); absent from addons built before it.
  int4Kernel?: boolean;
  // The int4 kernel's paths this CPU runs, widest first (KERNEL_PATHS; avx512 wants VNNI too); absent from addons
  // built before AVX2's.
  int4KernelPaths?: KernelPath[];
  // Whether this CPU runs Quire's attention (native/src/gqa_attention.cc); absent from addons built before it.
  attentionKernel?: boolean;
  // The attention's paths this CPU runs, widest first (KERNEL_PATHS); absent from addons built before AVX2's.
  attentionKernelPaths?: KernelPath[];
  Session: new (modelPath: string, options: NativeSessionOptions) => NativeSession;
}

export interface NativeSessionOptions {
  provider: string;
  providerOptions?: Record<string, string>;
  sessionConfig?: Record<string, string>;
  intraOpThreads?: number;
  // CPU sessions of int4 models: Quire's kernel in place of onnxruntime's MatMulNBits (int4KernelWanted), on the
  // widest path this CPU runs (true) or the one named.
  int4Kernel?: boolean | KernelPath;
  // CPU sessions of a float cache: Quire's attention in place of onnxruntime's (attentionKernelWanted), on the
  // widest path this CPU runs (true) or the one named.
  attentionKernel?: boolean | KernelPath;
}

// The instruction sets Quire's CPU kernels are built for (native/src/simd_paths.h; kInt4Paths in q4_matmul_op.cc,
// kAttentionPaths in gqa_op.cc), widest first.
export const KERNEL_PATHS = ['avx512', 'avx2'] as const;
export type KernelPath = (typeof KERNEL_PATHS)[number];

export type NativeLoad = { ok: true; addon: NativeAddon; ortVersion: string } | { ok: false; reason: string };

const require = createRequire(import.meta.url);

// onnxruntime-node keeps its runtime next to its binding: bin/napi-v6/<platform>/<arch>/.
export function onnxruntimeLibrary(): string | null {
  const root = dirname(require.resolve('onnxruntime-node/package.json'));
  const dir = join(root, 'bin', 'napi-v6', process.platform, process.arch);
  if (!existsSync(dir)) return null;
  const pattern = process.platform === 'win32' ? /^onnxruntime\.dll$/ : process.platform === 'darwin' ? /^libonnxruntime\.\d.*dylib$/ : /^libonnxruntime\.so\.\d+$/;
  const name = readdirSync(dir).find((f) => pattern.test(f));
  return name ? join(dir, name) : null;
}

// onnxruntime's warnings (VerifyEachNodeIsAssignedToAnEp and the like) are for whoever debugs a provider,
// not for the terminal of someone asking a question: they go to <data>/logs/onnxruntime.log.
// QUIRE_ORT_LOG names another file, or `stderr` to keep them on the terminal.
export function ortLogPath(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.QUIRE_ORT_LOG === 'stderr') return null;
  return env.QUIRE_ORT_LOG || join(dataDir(env), 'logs', 'onnxruntime.log');
}

function ortLogOptions(): { logPath?: string } {
  const path = ortLogPath();
  if (!path) return {};
  try {
    mkdirSync(dirname(path), { recursive: true });
    return { logPath: path };
  } catch {
    // An unwritable data folder keeps onnxruntime's default (stderr) rather than failing the engine.
    return {};
  }
}

let cached: NativeLoad | undefined;

// The addon's file where this process may use it, else why not. The GPU probe needs the addon alone, not the
// onnxruntime it drives (gpu-adapter.ts).
export function nativeAddonFile(): { ok: true; path: string } | { ok: false; reason: string } {
  if (process.env.QUIRE_ENGINE_PATH === 'onnxruntime-node') return { ok: false, reason: 'QUIRE_ENGINE_PATH=onnxruntime-node' };
  if (!existsSync(entryPoints.nativeAddon)) return { ok: false, reason: 'native addon not built (npm run build:native)' };
  return { ok: true, path: entryPoints.nativeAddon };
}

export function loadNativeAddon(): NativeLoad {
  if (cached) return cached;
  const file = nativeAddonFile();
  if (!file.ok) return (cached = file);
  const library = onnxruntimeLibrary();
  if (!library) return (cached = { ok: false, reason: `no onnxruntime library for ${process.platform}-${process.arch}` });
  try {
    const addon = require(file.path) as NativeAddon;
    if (typeof addon.Session?.prototype?.writeInput !== 'function') return (cached = { ok: false, reason: 'native addon built before inputs written in parts (npm run build:native)' });
    const ortVersion = addon.init(library, ortLogOptions());
    cached = { ok: true, addon, ortVersion };
  } catch (error) {
    cached = { ok: false, reason: `native addon failed to load: ${(error as Error).message.split('\n')[0]}` };
  }
  return cached;
}
