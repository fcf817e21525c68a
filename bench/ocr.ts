// OCR of a scanned book: Quire's import (pdf.js renders each page at OCR_DPI, tesseract.js reads it, in the
// document worker) beside Debian's `tesseract` (the peer, native and multi-threaded with OpenMP) on the very page
// images Quire renders. Pages per second, peak resident memory of the whole process, and word recall against
// the text the pages were typeset from. Each run is its own child process so its peak memory is its own.
// Needs `tesseract` on the PATH for the peer (apt-get install tesseract-ocr); without it only Quire runs.
// Run: node_modules/.bin/node bench/ocr.ts [--pages 12] [--scan-dpi 200] [--peer-threads 1,2]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { extractFile } from '../electron/node/documents/extract.ts';
import { OCR_DPI } from '../electron/node/documents/limits.ts';
import { renderPage } from '../electron/node/documents/ocr.ts';
import { generateEnglish } from '../models/tokenizer/tiny.ts';
import { makeScannedPdf, wordRecall } from '../test/unit/documents/scan-fixtures.ts';
import { endChild } from './child-exit.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '12' },
    'scan-dpi': { type: 'string', default: '200' },
    // OpenMP threads for the peer, one run each: more than one on a loaded 2-core machine spins instead of
    // working (4 pages took 260 s with 2 threads against 9 s with 1 while other jobs ran).
    'peer-threads': { type: 'string', default: '1' },
    child: { type: 'string' },
    processes: { type: 'string' },
  },
});

const MB = 1024 * 1024;
type QuireRun = { seconds: number; text: string; warnings: string[]; maxRssMb: number };

// The child: one Quire import of the scanned PDF, as the app runs it (isolated worker, OCR inside it).
if (values.child) {
  const started = performance.now();
  const doc = await extractFile(values.child, { timeoutMs: 600_000, pdfProcesses: Number(values.processes) });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ seconds, text: doc.text, warnings: doc.warnings, maxRssMb: (process.resourceUsage().maxRSS * 1024) / MB }));
  await endChild();
}

const PAGES = Number(values.pages);
const LINE_CHARS = 80;
const LINES_PER_PAGE = 42;

// A book page: generated English prose wrapped to a 12 pt column, paragraphs of a dozen lines.
function bookPage(seed: number): string[][] {
  const lines: string[] = [];
  let line = '';
  for (const word of generateEnglish(600, seed).split(/\s+/)) {
    if (line && line.length + 1 + word.length > LINE_CHARS) {
      lines.push(line);
      line = '';
      if (lines.length === LINES_PER_PAGE - 3) break;
    }
    line = line ? `${line} ${word}` : word;
  }
  const paragraphs: string[][] = [];
  for (let i = 0; i < lines.length; i += 13) paragraphs.push(lines.slice(i, i + 13));
  return paragraphs;
}

const dir = mkdtempSync(join(tmpdir(), 'quire-bench-ocr-'));
try {
  const pages = Array.from({ length: PAGES }, (_, i) => bookPage(1000 + i));
  const expected = pages.flat(2).join(' ');
  const pdfPath = join(dir, 'scan.pdf');
  const pdf = await makeScannedPdf(
    pages.map((scan) => ({ scan })),
    Number(values['scan-dpi']),
  );
  writeFileSync(pdfPath, pdf);

  // The page images Quire gives tesseract.js, written out for the peer.
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({ data: new Uint8Array(pdf) });
  const list: string[] = [];
  const renderStarted = performance.now();
  try {
    const doc = await task.promise;
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const path = join(dir, `page-${n}.pgm`);
      writeFileSync(path, await renderPage(page));
      page.cleanup();
      list.push(path);
    }
  } finally {
    await task.destroy();
  }
  const renderSeconds = (performance.now() - renderStarted) / 1000;
  writeFileSync(join(dir, 'pages.txt'), list.join('\n') + '\n');

  const rows: string[][] = [];
  const row = (engine: string, seconds: number, rssMb: number, recall: number) =>
    rows.push([engine, String(PAGES), seconds.toFixed(1), (PAGES / seconds).toFixed(2), rssMb.toFixed(0), `${(recall * 100).toFixed(1)}%`]);

  // One parser process, then the pages shared among one a core (extract.ts), as an import reads them.
  let note: string[] = [];
  for (const processes of new Set([1, availableParallelism()])) {
    const args = [import.meta.filename, '--child', pdfPath, '--processes', String(processes)];
    const quire = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * MB })) as QuireRun;
    row(`Quire (pdf.js render + tesseract.js), ${processes} parser process${processes > 1 ? 'es' : ''}`, quire.seconds, quire.maxRssMb, wordRecall(expected, quire.text));
    note = quire.warnings;
  }

  const peer = spawnSync('tesseract', ['--version'], { encoding: 'utf8' });
  if (peer.status === 0) {
    const version = peer.stdout.split('\n')[0];
    for (const threads of values['peer-threads'].split(',')) {
      // GNU time reports the peak resident set of tesseract itself; one invocation reads the whole page list.
      const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'tesseract', join(dir, 'pages.txt'), 'stdout', '--oem', '1', '-l', 'eng'], {
        encoding: 'utf8',
        maxBuffer: 256 * MB,
        env: { ...process.env, OMP_THREAD_LIMIT: threads },
      });
      const [seconds, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
      row(`${version} on the same images, ${threads} thread${threads === '1' ? '' : 's'}`, seconds, (kb * 1024) / MB, wordRecall(expected, r.stdout));
    }
  } else {
    console.log('tesseract is not installed (apt-get install tesseract-ocr): the peer is left out');
  }

  console.log(`${PAGES} pages of ${LINES_PER_PAGE - 3} lines, scanned at ${values['scan-dpi']} dpi (JPEG), OCR'd at ${OCR_DPI} dpi; ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}`);
  console.log(`rendering the page images alone (pdf.js + @napi-rs/canvas): ${(PAGES / renderSeconds).toFixed(2)} pages/s`);
  const header = ['engine', 'pages', 'seconds', 'pages/s', 'peak RSS MB', 'word recall'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  console.log(`Quire's note: ${note.join(' | ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
