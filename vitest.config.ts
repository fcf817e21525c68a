import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { useSwiftShaderIfPresent } from './test/gpu-env.ts';

// WebGPU on SwiftShader where Debian's chromium is installed (test/gpu-env.ts); set before workers fork.
useSwiftShaderIfPresent();

export default defineConfig({
  plugins: [react()],
  test: {
    include: ['test/**/*.test.{ts,tsx}', 'models/**/*.test.ts', 'electron/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores here: more workers only thrash.
    maxWorkers: 2,
  },
});
