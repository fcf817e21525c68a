import { describe, expect, it } from 'vitest';
import { compileProbe } from '../../../build/checker/runtime-programs.ts';

// The per-runtime programs of `npm run typecheck`: a probe compiled with each one's options shows what it refuses.
describe('per-runtime typecheck', () => {
  it('the browser program has no Node: process, Buffer and node:fs do not compile in the renderer', () => {
    const errors = compileProbe('browser', 'renderer/src', "import { readFileSync } from 'node:fs';\nexport const a = [process.env.HOME, Buffer.from(''), readFileSync];\n");
    expect(errors.join('\n')).toMatch(/Cannot find module 'node:fs'/);
    expect(errors.join('\n')).toMatch(/Cannot find name 'process'/);
    expect(errors.join('\n')).toMatch(/Cannot find name 'Buffer'/);
  });

  it('the browser program has the DOM and the shared contract', () => {
    expect(compileProbe('browser', 'renderer/src', "import { QuireError } from '../../electron/common/errors.ts';\nexport const t = [document.title, QuireError];\n")).toEqual([]);
  });

  it('the node program has no DOM: document and window do not compile in services', () => {
    const errors = compileProbe('node', 'electron/node', 'export const t = [document.title, window.location];\n');
    expect(errors.join('\n')).toMatch(/Cannot find name 'document'/);
    expect(errors.join('\n')).toMatch(/Cannot find name 'window'/);
  });

  it('the node program has Node', () => {
    expect(compileProbe('node', 'electron/node', "import { readFileSync } from 'node:fs';\nexport const a = [process.pid, Buffer.alloc(1), readFileSync, new TextEncoder()];\n")).toEqual([]);
  });
});
