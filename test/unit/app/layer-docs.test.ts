import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLayerTable, REPOSITORY_ROOT } from '../../../build/checker/layers.ts';
import { sourceFiles } from '../../../build/checker/source-files.ts';
import { ARCHITECTURE_DOC, generatedDocs, readmeOf, withPart, BEGIN, END } from '../../../build/checker/write-docs.ts';

// The folder READMEs and docs/architecture.md carry parts written from build/layers.json; a table changed
// without running build/checker/write-docs.ts leaves them stale, and this test says which.
describe('documents drawn from the layer table', () => {
  const docs = generatedDocs();
  const onDisk = (path: string) => {
    try {
      return readFileSync(join(REPOSITORY_ROOT, path), 'utf8');
    } catch {
      return '(missing)';
    }
  };

  for (const path of docs.keys()) {
    it(`${path} is up to date with the table (node_modules/.bin/node build/checker/write-docs.ts)`, () => {
      expect(onDisk(path)).toBe(docs.get(path));
    });
  }

  it('every layer folder with code has a README that carries its row', () => {
    const table = readLayerTable();
    const withCode = table.layers.filter((l) => l.paths.some((p) => sourceFiles(REPOSITORY_ROOT, [p]).length > 0 && !/\.[mc]?[jt]sx?$/.test(p)));
    expect(withCode.filter((l) => !readmeOf(l)).map((l) => l.name)).toEqual([]);
    for (const layer of withCode) expect(docs.get(readmeOf(layer)!)).toContain(`**Layer \`${layer.name}\`**`);
  });

  it('the architecture graph draws each product layer and its allowed imports', () => {
    const graph = docs.get(ARCHITECTURE_DOC)!;
    expect(graph).toContain('electron_node_api --> electron_node_runtime');
    expect(graph).not.toContain('electron_node_api --> electron_node_chat');
    expect(graph).not.toContain('models --> electron_node');
  });

  it('replaces only the generated part of a document', () => {
    const text = `# x\nkept\n\n${BEGIN}\nold\n${END}\n\nkept too\n`;
    expect(withPart(text, `${BEGIN}\nnew\n${END}`)).toBe(`# x\nkept\n\n${BEGIN}\nnew\n${END}\n\nkept too\n`);
  });
});
