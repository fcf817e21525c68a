import { defineConfig } from 'vite';

// Sandboxed preloads cannot require() modules: everything (the contract, zod) is bundled into one file.
export default defineConfig({});
