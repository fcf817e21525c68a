// Lets every test process reach a WebGPU adapter without a GPU. Debian's chromium package (which .ci/run
// installs) ships SwiftShader, a CPU implementation of Vulkan that Dawn accepts, plus a Vulkan loader of its
// own for machines without libvulkan1. vitest.config.ts calls this before any worker starts, so the workers
// inherit the variables: LD_LIBRARY_PATH in particular is read only when a process starts.
//
// A machine whose own Vulkan should be tested (a real GPU, the GPU kit) sets VK_ICD_FILENAMES itself, or
// QUIRE_TEST_VULKAN=system; the environment is then left as it is.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// Returns the ICD manifest the tests will use, or null when they use the machine's own Vulkan (or none).
export function useSwiftShaderIfPresent(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.QUIRE_TEST_VULKAN === 'system') return null;
  if (env.VK_ICD_FILENAMES) return env.VK_ICD_FILENAMES;
  if (!existsSync(SWIFTSHADER_ICD)) return null;
  env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const loaderDir = dirname(SWIFTSHADER_ICD);
  if (existsSync(join(loaderDir, 'libvulkan.so.1'))) {
    env.LD_LIBRARY_PATH = [loaderDir, ...(env.LD_LIBRARY_PATH ?? '').split(delimiter).filter((p) => p && p !== loaderDir)].join(delimiter);
  }
  // Dawn's Vulkan backend wants a runtime folder; CI containers often have none.
  if (!env.XDG_RUNTIME_DIR || !existsSync(env.XDG_RUNTIME_DIR)) env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'quire-xdg-'));
  return SWIFTSHADER_ICD;
}
