import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';

// The regression corpus's manifest (corpus.json beside this file), with each entry's file resolved: in the
// exact-pinned devDependency that ships it, or in test/corpus/files/ when it was small enough to copy.

export interface CorpusExpectation {
  format?: string;
  refusal?: string;
  contains?: string[];
  absent?: string[];
  pages?: number;
  pageLabels?: string[];
  cues?: string[];
  // Chapter labels that must appear, in this order (others may stand between them).
  chapters?: string[];
  comments?: number;
  warnings?: string[];
  noWarnings?: boolean;
}

export interface CorpusFile {
  // package@version and the path inside it, for reports.
  source: string;
  name: string;
  file: string;
  licence: string;
  expect: CorpusExpectation;
}

interface Entry {
  package: string;
  path: string;
  copied?: string;
  licence: string;
  expect: CorpusExpectation;
}

const ROOT = join(import.meta.dirname, '..', '..');
const requireHere = createRequire(import.meta.url);

export function corpusFiles(): CorpusFile[] {
  const { files } = JSON.parse(readFileSync(join(import.meta.dirname, 'corpus.json'), 'utf8')) as { files: Entry[] };
  return files.map((entry) => {
    const pkg = entry.package.slice(0, entry.package.lastIndexOf('@'));
    const version = entry.package.slice(pkg.length + 1);
    let file: string;
    if (entry.copied) file = join(ROOT, entry.copied);
    else {
      const manifest = requireHere.resolve(`${pkg}/package.json`);
      const installed = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
      // The expectations were read from this version of the file.
      if (installed !== version) throw new Error(`corpus: ${pkg} ${installed} is installed, the corpus needs ${version}`);
      file = join(manifest, '..', entry.path);
    }
    // A copy made from the package's file (encrypted, say) is named by its own file name.
    const name = basename(entry.copied ?? entry.path);
    const source = `${entry.package} ${entry.path}${name === basename(entry.path) ? '' : ` as ${name}`}`;
    return { source, name, file, licence: entry.licence, expect: entry.expect };
  });
}
