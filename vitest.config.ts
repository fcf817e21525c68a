import react from '@vitejs/plugin-react';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { useSwiftShaderIfPresent } from './test/gpu-env.ts';

// Everything the suite writes to the OS temp folder (converted models, data folders, browser profiles: ~2 GB a
// run) goes to one folder of this run's, removed at the end (test/global-teardown.ts): runs on one machine used to
// leave it all behind until the disk filled and the saved-cache budget read 0 B. Set before workers fork, so they
// and every process they start inherit it.
process.env.QUIRE_TEST_RUN_DIR = process.env.TMPDIR = mkdtempSync(join(tmpdir(), 'quire-test-run-'));
// WebGPU on SwiftShader where Debian's chromium is installed (test/gpu-env.ts); set before workers fork.
useSwiftShaderIfPresent();
// Tests that do not choose a data folder (provider checks, engine logs, ask) write to a throwaway one, never to
// the user's own.
process.env.QUIRE_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'quire-test-data-'));

export default defineConfig({
  plugins: [react()],
  test: {
    include: ['test/**/*.test.{ts,tsx}', 'models/**/*.test.ts', 'electron/**/*.test.ts'],
    globalSetup: ['test/global-teardown.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores here: more workers only thrash.
    maxWorkers: 2,
  },
});
