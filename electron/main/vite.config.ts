import { defineConfig } from 'vite';

// Forge's Vite plugin supplies entry, output and externals; onnxruntime-node and the native addon stay
// external so their .node binaries load from the unpacked asar.
export default defineConfig({
  build: { rollupOptions: { external: ['onnxruntime-node', /\.node$/] } },
});
