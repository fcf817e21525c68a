// Agreement of Quire's PDF text with poppler's pdftotext (poppler-utils) on every PDF of the regression corpus:
// word recall (poppler's words that Quire also gives) and precision (Quire's words that poppler also gives),
// counted as multisets, per file and in total. Words are runs of letters and digits after NFKC (so
// ligatures and presentation forms compare as letters); Han and kana characters count one by one, as CJK
// text has no spaces to split on.
// Run: node_modules/.bin/node bench/pdf-agreement.ts   (needs pdftotext: apt-get install poppler-utils)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractBytes } from '../electron/node/documents/extract.ts';
import { corpusFiles } from '../test/corpus/corpus.ts';
import { PRODUCER_PDFS } from '../test/unit/documents/producer-pdfs/sources.ts';

const PRODUCERS = join(import.meta.dirname, '../test/unit/documents/producer-pdfs');

const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{M}\p{N}])+/gu;

function words(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of text.normalize('NFKC').toLowerCase().match(WORD) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

function common(a: Map<string, number>, b: Map<string, number>): number {
  let n = 0;
  for (const [w, count] of a) n += Math.min(count, b.get(w) ?? 0);
  return n;
}

function poppler(file: string): string | undefined {
  try {
    return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
  } catch {
    return undefined;
  }
}

try {
  execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
} catch {
  console.error('pdf-agreement: pdftotext not found (apt-get install poppler-utils)');
  process.exit(1);
}

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '—');
const rows: string[][] = [['file', 'poppler words', 'Quire words', 'recall', 'precision', 'Quire ms']];
let popplerWords = 0;
let quireWords = 0;
let shared = 0;
// The corpus's PDFs, then those printed by Chromium for the text-layer tests (Arabic, letter-spacing, vertical
// Japanese), where pdftotext is the one that errs.
const pdfs = [
  ...corpusFiles().filter((f) => f.name.toLowerCase().endsWith('.pdf')),
  ...PRODUCER_PDFS.map(({ file }) => ({ source: `Chromium (Skia/PDF) ${file}`, name: file, file: join(PRODUCERS, file), producer: true })),
];
for (const file of pdfs) {
  const reference = poppler(file.file);
  const started = performance.now();
  let text: string | undefined;
  let refusal = '';
  try {
    text = (await extractBytes(file.name, readFileSync(file.file))).text;
  } catch (error) {
    refusal = (error as { code?: string }).code ?? 'error';
  }
  const ms = (performance.now() - started).toFixed(0);
  if (reference === undefined || text === undefined) {
    rows.push([file.source, reference === undefined ? 'refused' : String(total(words(reference))), text === undefined ? `refused (${refusal})` : String(total(words(text))), '—', '—', ms]);
    continue;
  }
  const p = words(reference);
  const q = words(text);
  const both = common(p, q);
  // The totals are the corpus's: on the Chromium PDFs the disagreement is pdftotext's error.
  if (!('producer' in file)) {
    popplerWords += total(p);
    quireWords += total(q);
    shared += both;
  }
  rows.push([file.source, String(total(p)), String(total(q)), pct(both, total(p)), pct(both, total(q)), ms]);
}
rows.push(['total (the corpus)', String(popplerWords), String(quireWords), pct(shared, popplerWords), pct(shared, quireWords), '']);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
