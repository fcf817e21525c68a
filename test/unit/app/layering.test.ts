import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { longFunctions, longFunctionsIn } from '../../../build/checker/function-length.ts';
import { importCircles } from '../../../build/checker/import-circles.ts';
import { describeViolation, layeringViolations, scanImports, type ImportEdge } from '../../../build/checker/layering.ts';
import { layerOf, readLayerTable, REPOSITORY_ROOT } from '../../../build/checker/layers.ts';
import { sourceFiles } from '../../../build/checker/source-files.ts';

// The layering of build/layers.json, enforced on every import the TypeScript parser finds; import circles and
// long functions in the product code. A violation names the file, the line and the import so the fix is obvious.

const table = readLayerTable();
const edges = scanImports(REPOSITORY_ROOT, table);
const PRODUCT = /^(electron|models|renderer)\//;

// Breaks of the table that are known and owned: each is removed by its owner's change in progress. The test fails
// when one no longer occurs, so this list cannot outlive the fault it excuses.
const KNOWN_BREAKS: { from: string; to: string; owner: string; why: string }[] = [
];

describe('runtime layering (build/layers.json)', () => {
  const violations = layeringViolations(table, edges);
  const isKnown = (v: { from: string; to: string }) => KNOWN_BREAKS.some((k) => k.from === v.from && k.to === v.to);

  it('every import of the tree keeps to the table', () => {
    expect(violations.filter((v) => !isKnown(v)).map(describeViolation)).toEqual([]);
  });

  it('each known break still occurs (remove it from KNOWN_BREAKS once fixed)', () => {
    const gone = KNOWN_BREAKS.filter((k) => !violations.some((v) => v.from === k.from && v.to === k.to));
    expect(gone.map((k) => `${k.from} -> ${k.to} (${k.owner})`)).toEqual([]);
  });

  it('allows no npm package that its layer does not import (the table stays what the code is)', () => {
    const unused = table.layers.flatMap((layer) =>
      layer.packages
        .filter((name) => name !== '*' && !edges.some((e) => e.target.kind === 'package' && e.target.name === name && layerOf(table, e.file) === layer))
        .map((name) => `${layer.name}: ${name}`),
    );
    expect(unused).toEqual([]);
  });

  it('reads every kind of source file and every import form of the tree', () => {
    const files = new Set(edges.map((e) => e.file));
    expect(files.has('bin/quire.mjs')).toBe(true);
    expect(files.has('renderer/src/App.tsx')).toBe(true);
    // A lazy require() and a type-level import('x') are imports too.
    expect(edges.some((e) => e.file === 'electron/node/documents/ocr.ts' && e.specifier === 'tesseract.js' && !e.typeOnly)).toBe(true);
  });

  it('only the preload and the main process import electron; the policy module stays importable without it', () => {
    const users = [...new Set(edges.filter((e) => e.specifier === 'electron').map((e) => e.file))];
    expect(users).toContain('electron/main/main.ts');
    expect(users.filter((f) => !f.startsWith('electron/main/') && f !== 'electron/preload/preload.ts')).toEqual([]);
    expect(users).not.toContain('electron/main/security.ts');
  });
});

describe('the layering check catches each way around it', () => {
  const root = mkdtempSync(join(tmpdir(), 'quire-layering-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  mkdirSync(join(root, 'build'));
  writeFileSync(join(root, 'build/layers.json'), readFileSync(join(REPOSITORY_ROOT, 'build/layers.json')));
  const cases: [string, string, string][] = [
    ['a multi-line import', 'renderer/src/multi-line.ts', "import {\n  a,\n  b,\n} from '../../electron/node/db.ts';\n"],
    ['a template-literal import()', 'renderer/src/template.ts', 'export const m = await import(`../../electron/node/db.ts`);\n'],
    ['a .mts file', 'electron/common/module.mts', "import { readFileSync } from 'node:fs';\n"],
    ['models -> electron/node', 'models/reach.ts', "import { x } from '../electron/node/settings.ts';\n"],
    ['electron/node -> electron/server', 'electron/node/serve.ts', "import { y } from '../server/browser-server.ts';\n"],
    ['anything forbidden in electron/main', 'electron/main/ui.ts', "import React from 'react';\n"],
    ['the renderer importing models/convert.ts', 'renderer/src/convert.ts', "import { convert } from '../../models/convert.ts';\n"],
    ['export … from', 'electron/common/reexport.ts', "export { openDb } from '../node/db.ts';\n"],
    ['require()', 'models/lazy.cts', "const s = require('../electron/server/browser-server.ts');\n"],
    ['a bare Node built-in in the renderer', 'renderer/src/bare.ts', "import fs from 'fs';\n"],
    ['a type-only import', 'electron/preload/types.ts', "import type { Db } from '../node/db.ts';\n"],
    ['a side-effect import', 'renderer/src/side.ts', "import 'ws';\n"],
    ['import x = require()', 'electron/common/equals.ts', "import m = require('../main/main.ts');\n"],
    ['export * from', 'models/star.js', "export * from '../electron/cli/main.ts';\n"],
    ['a JSX file importing onnxruntime-node', 'renderer/src/View.jsx', "import * as ort from 'onnxruntime-node';\n"],
    ['the product importing the nano recipe', 'electron/node/eval/recipe.ts', "import { passkey } from '../../../models/nano/data.ts';\n"],
    ['the API importing chat', 'electron/node/api/chat-use.ts', "import { ChatService } from '../chat/chat-service.ts';\n"],
    ['the engine importing the runtime', 'electron/node/engine/up.ts', "import { EngineHost } from '../runtime/engine-host.ts';\n"],
  ];
  for (const [, path, text] of cases) write(path, text);
  const fixtureTable = readLayerTable(root);
  const caught = layeringViolations(fixtureTable, scanImports(root, fixtureTable));

  for (const [form, path] of cases) {
    it(`catches ${form}`, () => {
      expect(caught.filter((v) => v.file === path).map(describeViolation)).toHaveLength(1);
    });
  }

  it('passes an allowed import written in any of these forms', () => {
    write('renderer/src/fine.tsx', "import {\n  QuireError,\n} from '../../electron/common/errors.ts';\nconst spec = import(`../../models/model-spec.ts`);\n");
    const again = layeringViolations(fixtureTable, scanImports(root, fixtureTable));
    expect(again.filter((v) => v.file === 'renderer/src/fine.tsx')).toEqual([]);
  });
});

describe('import circles in the product code', () => {
  // Type-only imports are left out: they are erased when compiled, so they cannot run a module before its
  // imports are ready, and the zustand slices pattern needs one (a slice names the store type that composes it).
  const valueEdges = edges.filter((e: ImportEdge) => !e.typeOnly);

  it('there are none (value imports)', () => {
    expect(importCircles(valueEdges, (f) => PRODUCT.test(f)).map((c) => c.path.join(' -> '))).toEqual([]);
  });

  it('a circle is found and named', () => {
    const fake = (file: string, to: string): ImportEdge => ({ file, specifier: to, line: 1, typeOnly: false, target: { kind: 'file', path: to } });
    const circles = importCircles([fake('a.ts', 'b.ts'), fake('b.ts', 'c.ts'), fake('c.ts', 'a.ts'), fake('c.ts', 'd.ts')], () => true);
    expect(circles.map((c) => c.path)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });
});

describe('function length in the product code', () => {
  // Long functions in files their owners are changing now; each owner splits theirs (or writes the reason above
  // it with `// long-function:`) and removes its entry. The test fails on an entry that is no longer long.
  const ALLOWED: { file: string; name: string; owner: string }[] = [
  ];
  const long = longFunctionsIn(REPOSITORY_ROOT, sourceFiles(REPOSITORY_ROOT, ['electron', 'models', 'renderer']));
  const allowed = (f: { file: string; name: string }) => ALLOWED.some((a) => a.file === f.file && a.name === f.name);

  it('no function body is over 80 lines without a reason written above it', () => {
    const unexplained = long.filter((f) => f.reason === undefined && !allowed(f));
    expect(unexplained.map((f) => `${f.file}:${f.line} ${f.name} is ${f.lines} lines: split it or write // long-function: <reason> above it`)).toEqual([]);
  });

  it('measures bodies and reads the reason written directly above', () => {
    const body = Array.from({ length: 80 }, (_, i) => `  step(${i});`).join('\n');
    const text = `export function short() {\n${body.split('\n').slice(2).join('\n')}\n}\n\nexport function plain() {\n${body}\n}\n\n// long-function: one table, read top to bottom\nconst marked = () => {\n${body}\n};\n\nclass C {\n  // why this method is here\n  method() {\n${body}\n  }\n}\n`;
    expect(longFunctions('x.ts', text).map((f) => [f.name, f.lines, f.reason])).toEqual([
      ['plain', 82, undefined],
      ['marked', 82, 'one table, read top to bottom'],
      ['C.method', 82, undefined],
    ]);
  });

  it('each allowlisted function is still long (remove its entry once split)', () => {
    expect(ALLOWED.filter((a) => !long.some((f) => f.file === a.file && f.name === a.name)).map((a) => `${a.file} ${a.name} (${a.owner})`)).toEqual([]);
  });
});
