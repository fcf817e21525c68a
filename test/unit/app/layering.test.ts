import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// VS Code-style runtime folders: each may import only what its README says. A violation names the file and
// the import so the fix is obvious.
const ROOT = join(import.meta.dirname, '../../..');
const RULES: { folder: string; forbid: RegExp[] }[] = [
  { folder: 'electron/common', forbid: [/^node:/, /^electron$/, /\/node\//, /\/main\//, /\/server\//, /renderer\//, /^(react|zustand|ws|onnxruntime-node)/] },
  { folder: 'electron/node', forbid: [/^electron$/, /\/main\//, /\/preload\//, /renderer\//, /^react/] },
  { folder: 'electron/server', forbid: [/^electron$/, /\/main\//, /renderer\//] },
  { folder: 'electron/cli', forbid: [/^electron$/, /\/main\//, /renderer\//] },
  { folder: 'electron/preload', forbid: [/^node:/, /\/node\//, /\/server\//, /\/main\//, /renderer\//] },
  { folder: 'models', forbid: [/^electron$/, /renderer\//, /electron\/main\//] },
  // Imported by the contract and the renderer: pure like electron/common.
  { folder: 'models/model-spec.ts', forbid: [/^node:/, /^electron$/, /\/node\//, /renderer\//, /^(react|zustand|ws|onnxruntime-node|onnx-proto)/, /^\.\/(?!model-spec)/] },
  { folder: 'renderer/src', forbid: [/^node:/, /^electron$/, /electron\/node\//, /electron\/main\//, /electron\/server\//, /^(ws|onnxruntime-node)$/] },
];

function sources(dir: string): string[] {
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'build' ? [] : sources(path);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );
}

describe('runtime layering', () => {
  for (const { folder, forbid } of RULES) {
    it(`${folder} imports only what its runtime allows`, () => {
      const violations = sources(join(ROOT, folder)).flatMap((file) =>
        imports(file)
          .filter((spec) => forbid.some((rule) => rule.test(spec)))
          .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
      );
      expect(violations).toEqual([]);
    });
  }

  it('only the preload and the main process import electron', () => {
    const all = ['electron', 'renderer/src', 'models'].flatMap((f) => sources(join(ROOT, f)));
    const users = all.filter((file) => imports(file).includes('electron')).map((f) => relative(ROOT, f));
    expect(users).toContain('electron/main/main.ts');
    expect(users.filter((f) => !f.startsWith('electron/main/') && f !== 'electron/preload/preload.ts')).toEqual([]);
    // The policy module stays importable without Electron, so it is unit-tested.
    expect(users).not.toContain('electron/main/security.ts');
  });
});
