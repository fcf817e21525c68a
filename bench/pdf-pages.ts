// PDF pages per second (issue 21: ≥ pdftotext's on the same ~900-page PDF, in the same run): Debian's pdftotext
// (poppler-utils; skipped with a message when absent), Quire in one parser process, and Quire with the pages shared
// among one parser process a core (extract.ts). Beside the wall time, the CPU time of the processes that did the
// work (on Linux): on a machine shared with other work it is the steadier figure.
// Run: node_modules/.bin/node bench/pdf-pages.ts [--pages 900] [--rounds 1]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { extractFile } from '../electron/node/documents/extract.ts';
import { makePdf } from '../test/unit/documents/fixtures.ts';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '900' }, rounds: { type: 'string', default: '1' } } });
const pages = Number(values.pages);
const line = (i: number, j: number) => `Line ${j} of page ${i}: the keeper wrote of wind, of lamp oil and of ships passing in the night.`;
const pdf = makePdf(Array.from({ length: pages }, (_, i) => ({ paragraphs: Array.from({ length: 4 }, (_, p) => Array.from({ length: 10 }, (_, j) => line(i, p * 10 + j))) })));
const dir = mkdtempSync(join(tmpdir(), 'quire-bench-pdf-'));
const file = join(dir, 'book.pdf');
writeFileSync(file, pdf);
// The CPU seconds of this process's children that have ended and been waited for (/proc/self/stat's cutime and
// cstime, in clock ticks of 1/100 s), or NaN where there is no /proc.
const childCpu = () => (existsSync('/proc/self/stat') ? readFileSync('/proc/self/stat', 'latin1').split(') ')[1].split(' ').slice(13, 15).reduce((a, b) => a + Number(b), 0) / 100 : NaN);
// A parser is killed once its part is in, and waited for a moment later.
const reaped = () => new Promise((resolve) => setTimeout(resolve, 300));
const rate = (seconds: number, cpu: number) =>
  `${(pages / seconds).toFixed(0)} pages/s (${seconds.toFixed(2)} s); ${(pages / cpu).toFixed(0)} pages per CPU second (${cpu.toFixed(2)} s)`;
async function measure(name: string, run: () => Promise<unknown>): Promise<void> {
  const cpu = childCpu();
  const t = performance.now();
  await run();
  const seconds = (performance.now() - t) / 1000;
  await reaped();
  console.log(`${name}: ${rate(seconds, childCpu() - cpu)}`);
}
try {
  const pdftotext = !spawnSync('pdftotext', ['-v']).error;
  if (!pdftotext) console.log('pdftotext: not installed (apt-get install poppler-utils)');
  for (let round = 0; round < Number(values.rounds); round++) {
    if (pdftotext) await measure('pdftotext (one process)', async () => execFileSync('pdftotext', [file, join(dir, 'out.txt')]));
    for (const processes of [1, availableParallelism()]) {
      await measure(`Quire, ${processes} parser process${processes > 1 ? 'es' : ''}`, () => extractFile(file, { pdfProcesses: processes }));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
