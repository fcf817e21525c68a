import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY_META } from '../electron/common/csp.ts';

// The page carries the same CSP as the protocol and server responses; it is written in from one source.
const cspMeta: Plugin = {
  name: 'quire-csp',
  transformIndexHtml: (html) => html.replace('%QUIRE_CSP%', CONTENT_SECURITY_POLICY_META),
};

export const RENDERER_OUT_DIR = fileURLToPath(new URL('../dist/renderer', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react(), cspMeta],
  build: { outDir: RENDERER_OUT_DIR, emptyOutDir: true, sourcemap: false },
});
