// PDF pages per second (issue 21: ≥ pdftotext's on the same ~900-page PDF, in the same run): Debian's pdftotext
// (poppler-utils; skipped with a message when absent), Quire in one parser process, and Quire with the pages shared
// among one parser process a core (extract.ts). Run: node_modules/.bin/node bench/pdf-pages.ts [--pages 900]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { extractFile } from '../electron/node/documents/extract.ts';
import { makePdf } from '../test/unit/documents/fixtures.ts';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '900' } } });
const pages = Number(values.pages);
const line = (i: number, j: number) => `Line ${j} of page ${i}: the keeper wrote of wind, of lamp oil and of ships passing in the night.`;
const pdf = makePdf(Array.from({ length: pages }, (_, i) => ({ paragraphs: Array.from({ length: 4 }, (_, p) => Array.from({ length: 10 }, (_, j) => line(i, p * 10 + j))) })));
const dir = mkdtempSync(join(tmpdir(), 'quire-bench-pdf-'));
const file = join(dir, 'book.pdf');
writeFileSync(file, pdf);
const rate = (seconds: number) => `${(pages / seconds).toFixed(0)} pages/s (${seconds.toFixed(2)} s)`;
try {
  if (spawnSync('pdftotext', ['-v']).error) console.log('pdftotext: not installed (apt-get install poppler-utils)');
  else {
    const t = performance.now();
    execFileSync('pdftotext', [file, join(dir, 'out.txt')]);
    console.log(`pdftotext (one process): ${rate((performance.now() - t) / 1000)}`);
  }
  for (const processes of [1, availableParallelism()]) {
    const t = performance.now();
    await extractFile(file, { pdfProcesses: processes });
    console.log(`Quire, ${processes} parser process${processes > 1 ? 'es' : ''}: ${rate((performance.now() - t) / 1000)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
