// node-llama-cpp for the llama.cpp comparison bench and the GGUF cross-check, kept out of the project's
// dependencies (about 725 MB with its prebuilt CPU, CUDA and Vulkan binaries): installed on demand into
// bench/.peers (git-ignored) and imported from there. Only the few calls Quire uses are typed here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { QuireError } from '../electron/common/errors.ts';

export const NODE_LLAMA_CPP_VERSION = '3.22.1';
export const PEERS_DIR = join(import.meta.dirname, '.peers');
const PACKAGE_DIR = join(PEERS_DIR, 'node_modules', 'node-llama-cpp');

export interface LlamaSequence {
  readonly nextTokenIndex: number;
  evaluateWithoutGeneratingNewTokens(tokens: number[]): Promise<void>;
  evaluate(tokens: number[], options: { temperature: number }): AsyncGenerator<number, void, void>;
  controlledEvaluate(
    items: (number | [number, { generateNext: { logits: true } }])[],
  ): Promise<({ next: { logits?: Map<number, number> } } | undefined)[]>;
  eraseContextTokenRanges(ranges: { start: number; end: number }[]): Promise<void>;
  clearHistory(): Promise<void>;
}

export interface LlamaContext {
  readonly contextSize: number;
  readonly flashAttention: boolean;
  getSequence(): LlamaSequence;
  dispose(): Promise<void>;
}

export type KvType = 'F32' | 'F16' | 'Q8_0';

export interface LlamaModel {
  createContext(options: {
    contextSize: number;
    batchSize?: number;
    threads?: number;
    flashAttention?: boolean;
    experimentalKvCacheKeyType?: KvType;
    experimentalKvCacheValueType?: KvType;
  }): Promise<LlamaContext>;
  dispose(): Promise<void>;
}

export interface Llama {
  readonly buildType: string;
  readonly gpu: string | false;
  loadModel(options: { modelPath: string; gpuLayers: number }): Promise<LlamaModel>;
  dispose(): Promise<void>;
}

interface NodeLlamaCpp {
  getLlama(options: { gpu: false; build: 'never'; logLevel: 'error' | 'warn' }): Promise<Llama>;
}

function installedVersionIs(packageDir: string): boolean {
  const manifest = join(packageDir, 'package.json');
  return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version === NODE_LLAMA_CPP_VERSION;
}

export function nodeLlamaCppInstalled(): boolean {
  return installedVersionIs(PACKAGE_DIR);
}

// Installs the pinned version into bench/.peers when it is missing (npm, from the registry).
export function installNodeLlamaCpp(): void {
  if (nodeLlamaCppInstalled()) return;
  process.stderr.write(`installing node-llama-cpp@${NODE_LLAMA_CPP_VERSION} into ${PEERS_DIR}\n`);
  execFileSync('npm', ['install', '--prefix', PEERS_DIR, '--no-audit', '--no-fund', `node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`], { stdio: 'inherit' });
}

// llama.cpp's x86 CPU backend is one library per instruction-set level (libggml-cpu-haswell.so: AVX2, FMA, F16C;
// -skylakex, -icelake, -zen4: AVX-512), and ggml loads the best one this CPU runs. A copy of the install made of hard
// links (bench/.peers/cpu-<variant>, no bytes copied) that holds only `variant` makes it run that one, as on a CPU
// without the wider sets.
function variantPackageDir(variant: string): string {
  const root = join(PEERS_DIR, `cpu-${variant}`);
  const bins = join(root, 'node_modules', '@node-llama-cpp', 'linux-x64', 'bins', 'linux-x64');
  const library = `libggml-cpu-${variant}.so`;
  const packageDir = join(root, 'node_modules', 'node-llama-cpp');
  if (!existsSync(join(bins, library)) || !installedVersionIs(packageDir)) {
    if (!existsSync(join(PEERS_DIR, 'node_modules', '@node-llama-cpp', 'linux-x64', 'bins', 'linux-x64', library))) {
      throw new QuireError('NOT_FOUND', `node-llama-cpp@${NODE_LLAMA_CPP_VERSION} has no x86-64 CPU backend named ${variant}`);
    }
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    execFileSync('cp', ['-al', join(PEERS_DIR, 'node_modules'), join(root, 'node_modules')]);
    for (const f of readdirSync(bins)) if (f.startsWith('libggml-cpu-') && f !== library) rmSync(join(bins, f));
  }
  return packageDir;
}

// The CPU backend library ggml loaded into this process (e.g. "zen4", "haswell"), or "unknown".
export function loadedCpuVariant(): string {
  const maps = existsSync('/proc/self/maps') ? readFileSync('/proc/self/maps', 'utf8') : '';
  return /libggml-cpu-([\w.]+)\.so/.exec(maps)?.[1] ?? 'unknown';
}

// llama.cpp on the CPU, with the prebuilt binaries only (never a source build); `cpuVariant`: only that CPU
// backend (x86-64 Linux), in place of the best this CPU runs.
export async function loadLlamaCpp(cpuVariant?: string): Promise<Llama> {
  if (!nodeLlamaCppInstalled()) throw new QuireError('NOT_FOUND', `node-llama-cpp@${NODE_LLAMA_CPP_VERSION} is not installed in ${PEERS_DIR}`);
  const entry = pathToFileURL(join(cpuVariant ? variantPackageDir(cpuVariant) : PACKAGE_DIR, 'dist', 'index.js')).href;
  const { getLlama } = (await import(entry)) as NodeLlamaCpp;
  return getLlama({ gpu: false, build: 'never', logLevel: 'error' });
}
