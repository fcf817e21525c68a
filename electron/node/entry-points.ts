import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Scripts that run in their own thread or process, and the native engine addon. Run from the sources they are the .ts files beside their
// modules; the desktop bundle (Forge's Vite build) emits them as .cjs files next to main.cjs, and the main
// process points here at them before starting any service.
export const entryPoints = {
  documentWorker: fileURLToPath(new URL('./documents/worker.ts', import.meta.url)),
  engineHost: fileURLToPath(new URL('./engine/engine-host-process.ts', import.meta.url)),
  nativeAddon: fileURLToPath(new URL('../../native/build/Release/quire_ort.node', import.meta.url)),
};

export const BUNDLED_ENTRY_FILES = { documentWorker: 'document-worker.cjs', engineHost: 'engine-host.cjs', nativeAddon: 'quire_ort.node' } as const;

export function useBundledEntryPoints(bundleDir: string): void {
  entryPoints.documentWorker = join(bundleDir, BUNDLED_ENTRY_FILES.documentWorker);
  entryPoints.engineHost = join(bundleDir, BUNDLED_ENTRY_FILES.engineHost);
  entryPoints.nativeAddon = join(bundleDir, BUNDLED_ENTRY_FILES.nativeAddon);
}
