import { fileURLToPath } from 'node:url';

// Where the native addon is: the converter's codecs (weight-codecs.ts) and the engine (electron/node) load the
// same file. Beside the sources in a checkout; the desktop bundle points it at its own copy
// (electron/node/entry-points.ts), before any service starts.
export const nativeAddonFile = { path: fileURLToPath(new URL('../native/build/Release/quire_ort.node', import.meta.url)) };
