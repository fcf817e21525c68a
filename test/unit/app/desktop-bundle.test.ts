import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, mergeConfig } from 'vite';
import { describe, expect, it } from 'vitest';
import mainConfig from '../../../electron/main/vite.config.ts';
import { BUNDLED_ENTRY_FILES } from '../../../electron/node/entry-points.ts';
import { REPO } from '../../e2e/serve-process.ts';

// The desktop app runs bundles, not sources: Forge's Vite plugin builds the main process and the engine and
// document-worker and text-worker scripts as CommonJS (forge.config.ts). Without an Electron binary the app cannot start here,
// but the bundles can be built the same way, which catches what only breaks there (top-level await, an entry
// that does not resolve, a dependency that must stay external).
const ENTRIES = {
  main: 'electron/main/main.ts',
  'engine-host': 'electron/node/engine/engine-host-process.ts',
  'document-worker': 'electron/node/documents/worker.ts',
  'text-worker': 'electron/node/runtime/text-worker.ts',
};

describe('desktop bundles', () => {
  it('build as CommonJS the way Forge builds them, with dependencies external', { timeout: 180_000 }, async () => {
    expect(`${Object.keys(ENTRIES)[1]}.cjs`).toBe(BUNDLED_ENTRY_FILES.engineHost);
    expect(`${Object.keys(ENTRIES)[2]}.cjs`).toBe(BUNDLED_ENTRY_FILES.documentWorker);
    expect(`${Object.keys(ENTRIES)[3]}.cjs`).toBe(BUNDLED_ENTRY_FILES.textWorker);
    const outDir = mkdtempSync(join(tmpdir(), 'quire-bundle-'));
    const node = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
    for (const [name, entry] of Object.entries(ENTRIES)) {
      await build(
        mergeConfig(mainConfig, {
          root: REPO,
          configFile: false,
          logLevel: 'error',
          resolve: { conditions: ['node'], mainFields: ['module', 'jsnext:main', 'jsnext'] },
          build: {
            outDir,
            emptyOutDir: false,
            minify: false,
            lib: { entry: { [name]: entry }, formats: ['cjs'], fileName: () => '[name].cjs' },
            rollupOptions: { external: ['electron', ...node] },
          },
        }),
      );
      const file = join(outDir, `${name}.cjs`);
      expect(existsSync(file)).toBe(true);
      const code = readFileSync(file, 'utf8');
      // Runtime dependencies load from node_modules in the package, never from the bundle.
      expect(code).not.toMatch(/onnxruntime_binding|GlobalWorkerOptions\s*=\s*\{/);
    }
  });
});
