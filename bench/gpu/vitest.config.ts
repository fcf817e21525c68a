import { defineConfig } from 'vitest/config';

// The provider-conformance suite (test/conformance/*.test.ts) on the GPU kit's machine (bench/gpu/run.sh):
// no React plugin, no SwiftShader set-up (test/gpu-env.ts); QUIRE_CONFORMANCE_PROVIDERS names the providers.
export default defineConfig({
  test: {
    include: ['test/conformance/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 600_000,
    maxWorkers: 4,
  },
});
