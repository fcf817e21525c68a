import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

// Forge's Vite plugin supplies entry, output and externals. Runtime dependencies stay external: they ship in
// the package's node_modules, and some (onnxruntime-node's binaries, pdf.js's worker, the native addon) must
// load from real files rather than from a bundle.
const { dependencies } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };

export default defineConfig({
  build: { rollupOptions: { external: [...Object.keys(dependencies), /^[^./].*\/.*/, /\.node$/] } },
});
