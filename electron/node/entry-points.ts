import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAddonFile } from '../../models/native-addon-file.ts';

// Scripts that run in their own thread or process, the native engine addon and the bundled demo model. Run
// from the sources they are the files beside their modules; the desktop bundle (Forge's Vite build) emits the
// scripts as .cjs files next to main.cjs, and the main process points here at them before any service starts.
export const entryPoints = {
  documentWorker: fileURLToPath(new URL('./documents/worker.ts', import.meta.url)),
  textWorker: fileURLToPath(new URL('./runtime/text-worker.ts', import.meta.url)),
  engineHost: fileURLToPath(new URL('./engine/engine-host-process.ts', import.meta.url)),
  get nativeAddon(): string {
    return nativeAddonFile.path;
  },
  set nativeAddon(path: string) {
    nativeAddonFile.path = path;
  },
  // The offline default model's Hugging Face folder (a packaged app carries it as an extra resource).
  nanoCheckpoint: fileURLToPath(new URL('../../models/nano/quire-nano', import.meta.url)),
};

export const BUNDLED_ENTRY_FILES = { documentWorker: 'document-worker.cjs', textWorker: 'text-worker.cjs', engineHost: 'engine-host.cjs', nativeAddon: 'quire_ort.node' } as const;

export function useBundledEntryPoints(bundleDir: string, resourcesDir: string): void {
  entryPoints.nanoCheckpoint = join(resourcesDir, 'quire-nano');
  entryPoints.documentWorker = join(bundleDir, BUNDLED_ENTRY_FILES.documentWorker);
  entryPoints.textWorker = join(bundleDir, BUNDLED_ENTRY_FILES.textWorker);
  entryPoints.engineHost = join(bundleDir, BUNDLED_ENTRY_FILES.engineHost);
  // Packaging copies the addon beside main.cjs; a development build keeps using native/build.
  const addon = join(bundleDir, BUNDLED_ENTRY_FILES.nativeAddon);
  if (existsSync(addon)) entryPoints.nativeAddon = addon;
}
