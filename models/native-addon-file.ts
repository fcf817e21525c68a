import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Where the native addon is: the converter's codecs (weight-codecs.ts) and the engine (electron/node) load the
// same file. Beside the sources in a checkout; the desktop bundle points it at its own copy
// (electron/node/entry-points.ts), before any service starts.
export const nativeAddonFile = { path: fileURLToPath(new URL('../native/build/Release/quire_ort.node', import.meta.url)) };

let loaded: Record<string, unknown> | null | undefined;

// The addon's exports for the converter (weight-codecs.ts, blake3.ts), loaded once; null where it is not built
// (a source checkout before npm ci, or a platform without a compiler), and the JavaScript paths run.
export function converterAddon(): Record<string, unknown> | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    loaded = createRequire(import.meta.url)(nativeAddonFile.path) as Record<string, unknown>;
  } catch {
    // Not built.
  }
  return loaded;
}
