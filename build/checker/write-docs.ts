import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAYERS_FILE, readLayerTable, REPOSITORY_ROOT, type Layer, type LayerTable } from './layers.ts';

// The folder READMEs' "what it holds and may import" part and docs/architecture.md's graph, written from the
// layer table between markers; the text around the markers is the folders' own. `node build/checker/write-docs.ts`
// rewrites them after the table changes; test/unit/app/layer-docs.test.ts fails while one is out of date.

export const BEGIN = `<!-- layers: written from ${LAYERS_FILE} by build/checker/write-docs.ts; edit the table, then run it -->`;
export const END = '<!-- /layers -->';
export const ARCHITECTURE_DOC = 'docs/architecture.md';

const code = (names: string[]) => names.map((n) => `\`${n}\``).join(', ');

/** The README that carries a layer's row: its own `readme`, else `<path>/README.md` when its first path is a folder. */
export function readmeOf(layer: Layer, root = REPOSITORY_ROOT): string | undefined {
  if (layer.readme) return layer.readme;
  const path = layer.paths[0];
  return existsSync(join(root, path)) && statSync(join(root, path)).isDirectory() ? `${path}/README.md` : undefined;
}

function importers(table: LayerTable, layer: Layer): string[] {
  return table.layers.filter((l) => l !== layer && l.imports.includes(layer.name)).map((l) => l.name);
}

function layerRow(table: LayerTable, layer: Layer): string {
  const imports = layer.imports.includes('*') ? 'any layer' : layer.imports.length ? code(layer.imports) : 'nothing outside itself';
  const packages = layer.packages.includes('*') ? 'any' : layer.packages.length ? code(layer.packages) : 'none';
  const by = importers(table, layer);
  const anyLayer = table.layers.filter((l) => l.imports.includes('*')).map((l) => l.name);
  return [
    `**Layer \`${layer.name}\`** (${layer.runtime}${layer.paths.length > 1 || layer.paths[0] !== layer.name ? `: ${code(layer.paths)}` : ''}): ${layer.holds}`,
    `- May import: ${imports}; npm packages: ${packages}; Node built-ins: ${layer.nodeBuiltins ? 'yes (`node:` prefix)' : 'no'}.`,
    `- Imported by: ${by.length ? code(by) : 'no product layer'}${anyLayer.length ? ` (and ${code(anyLayer)}, which may import any layer)` : ''}.`,
  ].join('\n');
}

/** Each README path with the generated part it must hold. */
export function readmeParts(table: LayerTable, root = REPOSITORY_ROOT): Map<string, string> {
  const parts = new Map<string, Layer[]>();
  for (const layer of table.layers) {
    const readme = readmeOf(layer, root);
    if (readme) parts.set(readme, [...(parts.get(readme) ?? []), layer]);
  }
  const check = 'Enforced by `test/unit/app/layering.test.ts` (build/checker/layering.ts).';
  return new Map([...parts].map(([readme, layers]) => [readme, [BEGIN, ...layers.map((l) => layerRow(table, l)), check, END].join('\n\n')]));
}

const mermaidId = (name: string) => name.replace(/[^A-Za-z0-9]/g, '_');

/** The architecture doc's generated part: the product layers and who may import whom, as a Mermaid graph. */
export function architecturePart(table: LayerTable): string {
  const drawn = table.layers.filter((l) => !l.imports.includes('*') && l.name !== 'build/checker');
  const names = new Set(drawn.map((l) => l.name));
  const lines = ['```mermaid', 'flowchart TD'];
  for (const l of drawn) lines.push(`  ${mermaidId(l.name)}["${l.name}<br/><small>${l.runtime}</small>"]`);
  for (const l of drawn) for (const to of l.imports) if (names.has(to)) lines.push(`  ${mermaidId(l.name)} --> ${mermaidId(to)}`);
  lines.push('```');
  const free = table.layers.filter((l) => !names.has(l.name)).map((l) => `\`${l.name}\` (${l.imports.includes('*') ? 'may import any layer' : 'imports no layer'})`);
  return [BEGIN, `An arrow reads "may import". Left out of the graph: ${free.join(', ')}.`, lines.join('\n'), END].join('\n\n');
}

/** The text of `file` with its generated part replaced (or appended when it has none yet). */
export function withPart(text: string, part: string): string {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin >= 0 && end > begin) return text.slice(0, begin) + part + text.slice(end + END.length);
  return `${text.trimEnd()}\n\n${part}\n`;
}

/** Every generated document: path and the text it must have. */
export function generatedDocs(root = REPOSITORY_ROOT): Map<string, string> {
  const table = readLayerTable(root);
  const read = (path: string, heading: string) => (existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : `${heading}\n`);
  const docs = new Map<string, string>();
  for (const [readme, part] of readmeParts(table, root)) docs.set(readme, withPart(read(readme, `# ${readme.replace(/\/README\.md$/, '')}`), part));
  docs.set(ARCHITECTURE_DOC, withPart(read(ARCHITECTURE_DOC, '# Architecture'), architecturePart(table)));
  return docs;
}

if (import.meta.main) {
  for (const [path, text] of generatedDocs()) {
    const file = join(REPOSITORY_ROOT, path);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
      writeFileSync(file, text);
      console.log(`wrote ${path}`);
    }
  }
}
