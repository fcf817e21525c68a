import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

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
  // The whole text, whitespace collapsed: for a family of files that hold one text in several encodings, the
  // text of its UTF-8 member.
  sameText?: string;
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
  // Names a family: `path` is a folder of folders, each holding one text in several encodings, this file
  // among them in UTF-8; every other file there must read as this one's text.
  family?: string;
  expect: CorpusExpectation;
}

const ROOT = join(import.meta.dirname, '..', '..');
const requireHere = createRequire(import.meta.url);

export function corpusFiles(): CorpusFile[] {
  const { files } = JSON.parse(readFileSync(join(import.meta.dirname, 'corpus.json'), 'utf8')) as { files: Entry[] };
  return files.flatMap((entry) => (entry.family ? familyFiles(entry, entry.family) : [corpusFile(entry)]));
}

function familyFiles(entry: Entry, member: string): CorpusFile[] {
  const root = join(packageFolder(entry.package), entry.path);
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, member)))
    .flatMap((d) => {
      const sameText = readFileSync(join(root, d.name, member), 'utf8');
      return readdirSync(join(root, d.name))
        .filter((f) => f !== member)
        .map((f) => corpusFile({ ...entry, path: `${entry.path}/${d.name}/${f}`, expect: { ...entry.expect, sameText } }));
    });
}

// The installed package's folder, checked to be the version the expectations were read from.
function packageFolder(spec: string): string {
  const pkg = spec.slice(0, spec.lastIndexOf('@'));
  const version = spec.slice(pkg.length + 1);
  const manifest = requireHere.resolve(`${pkg}/package.json`);
  const installed = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  if (installed !== version) throw new Error(`corpus: ${pkg} ${installed} is installed, the corpus needs ${version}`);
  return dirname(manifest);
}

function corpusFile(entry: Entry): CorpusFile {
  const file = entry.copied ? join(ROOT, entry.copied) : join(packageFolder(entry.package), entry.path);
  // A copy made from the package's file (encrypted, say) is named by its own file name.
  const name = basename(entry.copied ?? entry.path);
  const source = `${entry.package} ${entry.path}${name === basename(entry.path) ? '' : ` as ${name}`}`;
  return { source, name, file, licence: entry.licence, expect: entry.expect };
}
