// Extraction throughput on generated documents: a 1,000-page PDF and a 1M-word EPUB, in-process and through
// the isolating worker (which adds worker start-up and copying the model back).
// Run: node_modules/.bin/node bench/extract.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractBytes, extractFile } from '../electron/node/documents/extract.ts';
import { makeEpub, makePdf } from '../test/unit/documents/fixtures.ts';

// Pseudo-random words, so the EPUB compresses like prose (about 2.5:1) rather than like a repeated phrase.
let seed = 1;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return (seed >> 8) % n;
};
const word = () => Array.from({ length: 2 + random(8) }, () => 'etaoinshrdlcumwfgypbvkjxqz'[random(random(26) + 1)]).join('');
const words = (n: number) => Array.from({ length: n }, word).join(' ');

const PDF_PAGES = 1000;
const pdf = makePdf(
  Array.from({ length: PDF_PAGES }, () => ({ paragraphs: Array.from({ length: 4 }, () => Array.from({ length: 10 }, () => words(12))) })),
  { title: 'Bench PDF' },
);
const EPUB_CHAPTERS = 100;
const WORDS_PER_CHAPTER = 10_000;
const epub = makeEpub(
  Array.from({ length: EPUB_CHAPTERS }, (_, c) => ({
    file: `c${c}.xhtml`,
    title: `Chapter ${c + 1}`,
    body: `<h1>Chapter ${c + 1}</h1>${Array.from({ length: WORDS_PER_CHAPTER / 100 }, () => `<p>${words(100)}</p>`).join('')}`,
  })),
  { title: 'Bench EPUB' },
);

const dir = mkdtempSync(join(tmpdir(), 'quire-bench-'));
const rows: string[][] = [];
try {
  for (const [name, bytes, units, unitName] of [
    ['bench.pdf', pdf, PDF_PAGES, 'pages'],
    ['bench.epub', epub, EPUB_CHAPTERS, 'chapters'],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    for (const mode of ['in-process', 'worker'] as const) {
      const started = performance.now();
      const doc = mode === 'worker' ? await extractFile(path) : await extractBytes(name, bytes);
      const seconds = (performance.now() - started) / 1000;
      const mb = bytes.length / 2 ** 20;
      rows.push([
        name,
        mode,
        mb.toFixed(1),
        `${units} ${unitName}`,
        doc.text.split(/\s+/).length.toLocaleString('en'),
        doc.chars.toLocaleString('en'),
        seconds.toFixed(2),
        (units / seconds).toFixed(0),
        (mb / seconds).toFixed(2),
        (doc.chars / seconds / 1e6).toFixed(2),
      ]);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const header = ['file', 'mode', 'MB', 'units', 'words', 'chars', 'seconds', 'units/s', 'MB/s', 'Mchars/s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
