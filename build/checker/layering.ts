import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readImports, resolveTarget, type ImportSite, type Target } from './imports.ts';
import { layerOf, scannedRoots, type LayerTable } from './layers.ts';
import { sourceFiles } from './source-files.ts';

// The layering check: every import of every source file against the table's allowed edges between layers,
// its npm packages and its use of Node built-ins.

export interface ImportEdge extends ImportSite {
  /** The importing file, relative to the root. */
  file: string;
  target: Target;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  /** The importing file's layer ('' when the file is in none). */
  from: string;
  /** The imported file's layer, the package or `node:<name>`. */
  to: string;
  message: string;
}

/** Every import of every source file under the table's roots. */
export function scanImports(root: string, table: LayerTable): ImportEdge[] {
  return sourceFiles(root, scannedRoots(table)).flatMap((file) =>
    readImports(file, readFileSync(join(root, file), 'utf8')).map((site) => ({ ...site, file, target: resolveTarget(root, file, site.specifier) })),
  );
}

function allows(list: string[], name: string): boolean {
  return list.includes('*') || list.includes(name);
}

function violationOf(table: LayerTable, edge: ImportEdge): Violation | undefined {
  const from = layerOf(table, edge.file);
  const at = { file: edge.file, line: edge.line, specifier: edge.specifier, from: from?.name ?? '' };
  if (!from) return { ...at, to: '', message: `${edge.file} is in no layer of build/layers.json` };
  const { target } = edge;
  if (target.kind === 'builtin') {
    const to = `node:${target.name}`;
    if (!from.nodeBuiltins) return { ...at, to, message: `${from.name} runs without Node: no ${edge.specifier}` };
    if (!target.prefixed) return { ...at, to, message: `write Node built-ins with their node: prefix ('node:${target.name}')` };
    return undefined;
  }
  if (target.kind === 'package') {
    return allows(from.packages, target.name) ? undefined : { ...at, to: target.name, message: `${from.name} may not import the package ${target.name}` };
  }
  const to = layerOf(table, target.path);
  if (!to) return { ...at, to: target.path, message: `${edge.file} imports ${target.path}, which is in no layer of build/layers.json` };
  if (to === from || allows(from.imports, to.name)) return undefined;
  return { ...at, to: to.name, message: `${from.name} may not import ${to.name}` };
}

/** The imports that break the table, each with a one-line reason. */
export function layeringViolations(table: LayerTable, edges: ImportEdge[]): Violation[] {
  return edges.flatMap((edge) => violationOf(table, edge) ?? []);
}

export function describeViolation(v: Violation): string {
  return `${v.file}:${v.line} imports '${v.specifier}': ${v.message} (the rules: build/layers.json, docs/architecture.md)`;
}
