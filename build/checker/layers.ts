import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The table of layers (build/layers.json) and which layer a path belongs to. The table is data so that the
// layering check, the folder READMEs and the architecture graph are all drawn from the same rows.

export interface Layer {
  name: string;
  /** Folders or single files, relative to the repository root. */
  paths: string[];
  /** The README that carries this layer's row; by default `<first path>/README.md` when that path is a folder. */
  readme?: string;
  runtime: string;
  holds: string;
  /** Layer names this layer may import besides itself; `"*"` allows any. */
  imports: string[];
  /** npm packages this layer may import; `"*"` allows any. */
  packages: string[];
  nodeBuiltins: boolean;
}

export interface LayerTable {
  about: string;
  layers: Layer[];
}

export const REPOSITORY_ROOT = join(import.meta.dirname, '../..');
export const LAYERS_FILE = 'build/layers.json';

export function readLayerTable(root = REPOSITORY_ROOT): LayerTable {
  const table = JSON.parse(readFileSync(join(root, LAYERS_FILE), 'utf8')) as LayerTable;
  const names = new Set(table.layers.map((layer) => layer.name));
  for (const layer of table.layers) {
    const unknown = layer.imports.filter((name) => name !== '*' && !names.has(name));
    if (unknown.length > 0) throw new Error(`${LAYERS_FILE}: ${layer.name} imports unknown layer(s) ${unknown.join(', ')}`);
  }
  return table;
}

/** The layer of a `/`-separated repository path: the one with the longest path containing it. */
export function layerOf(table: LayerTable, path: string): Layer | undefined {
  let best: { layer: Layer; length: number } | undefined;
  for (const layer of table.layers) {
    for (const p of layer.paths) {
      if ((path === p || path.startsWith(p + '/')) && p.length > (best?.length ?? -1)) best = { layer, length: p.length };
    }
  }
  return best?.layer;
}

/** The top-level folders and files the table covers: what a scan reads, so a file outside every layer is noticed. */
export function scannedRoots(table: LayerTable): string[] {
  return [...new Set(table.layers.flatMap((layer) => layer.paths.map((p) => p.split('/')[0])))].sort();
}
