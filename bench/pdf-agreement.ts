// Agreement of Quire's PDF text with poppler's pdftotext (poppler-utils) on every PDF of the regression corpus:
// word recall and precision (bench/word-agreement.ts), per file and in total.
// Run: node_modules/.bin/node bench/pdf-agreement.ts   (needs pdftotext: apt-get install poppler-utils)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractBytes } from '../electron/node/documents/extract.ts';
import { corpusFiles } from '../test/corpus/corpus.ts';
import { PRODUCER_PDFS } from '../test/unit/documents/producer-pdfs/sources.ts';
import { common, total, words } from './word-agreement.ts';

const PRODUCERS = join(import.meta.dirname, '../test/unit/documents/producer-pdfs');

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
