// Memory of imports (issue 13 point 11): the peak and the lasting resident memory of the process that imports
// (the server's or the desktop main process; each parser is a process of its own, heap-capped, whose memory ends
// with it, so it is not counted here) for three large EPUBs at
// once, three large PDFs at once, and a 1 MB flate-bomb PDF (a content stream that inflates to 1 GB). Each
// case runs in a fresh process through the app's own router (library.import, as the UI calls it), and prints
// the RSS before the import, its peak (the kernel's high-water mark, so no sample can miss it), the RSS just
// after, and after a GC and a few idle seconds: "after" near "before" means the import gave its memory back.
// Run: node_modules/.bin/node bench/import-memory.ts [--case epubs|pdfs|bomb] [--mb N (each EPUB/PDF, default 8)]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WORKER_HEAP_MB, EXTRACT_CONCURRENCY } from '../electron/node/documents/limits.ts';
import { makeEpub, makePdf } from '../test/unit/documents/fixtures.ts';
import { flateBombPdf } from '../test/unit/documents/flate-bomb.ts';

const CASES = ['epubs', 'pdfs', 'bomb'] as const;
type Case = (typeof CASES)[number];
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const MB = 2 ** 20;

// Pseudo-random words, so the books compress like prose rather than like a repeated phrase.
function wordsOf(seed: number) {
  let s = seed;
  const random = (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s >> 8) % n;
  };
  // Letters drawn evenly: deflate gets about 2:1 from it (prose gets about 3:1), so a book of a given size
  // holds a realistic amount of text.
  const word = () => Array.from({ length: 2 + random(8) }, () => 'etaoinshrdlcumwfgypbvkjxqz'[random(26)]).join('');
  return (n: number) => Array.from({ length: n }, word).join(' ');
}

// An EPUB of about `mb` MB: chapters of 10,000 words, as many as that size takes compressed.
function bigEpub(mb: number, seed: number): Uint8Array {
  const words = wordsOf(seed);
  const make = (chapters: number) =>
    makeEpub(
      Array.from({ length: chapters }, (_, c) => ({
        file: `c${c}.xhtml`,
        title: `Chapter ${c + 1}`,
        body: `<h1>Chapter ${c + 1}</h1>${Array.from({ length: 100 }, () => `<p>${words(100)}</p>`).join('')}`,
      })),
      { title: `Bench EPUB ${seed}` },
    );
  return make(Math.max(1, Math.round((mb * MB) / (make(10).length / 10))));
}

// A PDF of about `mb` MB: pages of 40 lines of 12 words (uncompressed content streams, about 3.5 KB a page).
function bigPdf(mb: number, seed: number): Uint8Array {
  const words = wordsOf(seed);
  const pages = Math.round((mb * MB) / 3_900);
  return makePdf(Array.from({ length: pages }, () => ({ paragraphs: Array.from({ length: 4 }, () => Array.from({ length: 10 }, () => words(12))) })), { title: `Bench PDF ${seed}` });
}

// A full GC on demand without --expose-gc on the command line (kept off the parsers' command lines).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const rssMb = () => process.memoryUsage().rss / MB;
// The kernel's peak resident set of this process (maxRSS is in KB).
const peakMb = () => process.resourceUsage().maxRSS / 1024;

async function makeInputs(name: Case, mb: number, dir: string): Promise<string[]> {
  const files =
    name === 'epubs'
      ? [1, 2, 3].map((seed) => ({ name: `book-${seed}.epub`, bytes: bigEpub(mb, seed) }))
      : name === 'pdfs'
        ? [1, 2, 3].map((seed) => ({ name: `book-${seed}.pdf`, bytes: bigPdf(mb, seed) }))
        : [{ name: 'bomb.pdf', bytes: await flateBombPdf(1024 * MB) }];
  return files.map((f) => {
    writeFileSync(join(dir, f.name), f.bytes);
    return join(dir, f.name);
  });
}

// In a fresh process: the files arrive as bytes, as the UI sends them (library.import).
async function runCase(name: Case, paths: string[]) {
  const files = paths.map((path) => ({ name: basename(path), bytes: new Uint8Array(readFileSync(path)) }));
  const inputMb = files.reduce((n, f) => n + f.bytes.length, 0) / MB;
  const root = mkdtempSync(join(tmpdir(), 'quire-import-memory-'));
  const { createAppServices } = await import('../electron/node/app-services.ts');
  const services = createAppServices({ mode: 'browser', root });
  gc();
  await sleep(500);
  const before = rssMb();
  const baselinePeak = peakMb();
  const started = performance.now();
  const outcomes = await Promise.all(files.map(async (f) => services.router('library.import', f)));
  const seconds = (performance.now() - started) / 1000;
  const peak = peakMb();
  const justAfter = rssMb();
  gc();
  await sleep(3000);
  gc();
  const settled = rssMb();
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  await services.close();
  rmSync(root, { recursive: true, force: true });
  const results = outcomes.map((o) => (o.ok ? 'ok' : `${o.error.code}${process.env.QUIRE_IMPORT_MEMORY_VERBOSE ? ` (${o.error.message})` : ''}`)).join(',');
  return { case: name, files: files.length, inputMb, before, peak, baselinePeak, justAfter, settled, heapMb: heapUsed / MB, externalMb: (external + arrayBuffers) / MB, seconds, results };
}

const only = arg('case') as Case | undefined;
const mb = Number(arg('mb') ?? 8);
if (process.env.QUIRE_IMPORT_MEMORY_CHILD) {
  process.stdout.write(`${JSON.stringify(await runCase(only!, process.argv.slice(process.argv.indexOf('--files') + 1)))}\n`);
} else {
  console.log(`parsers at once: ${EXTRACT_CONCURRENCY}; parser heap cap: ${WORKER_HEAP_MB} MB (machine: ${(totalmem() / 2 ** 30).toFixed(1)} GiB)`);
  const rows: string[][] = [];
  const inputs = mkdtempSync(join(tmpdir(), 'quire-import-inputs-'));
  for (const name of only ? [only] : CASES) {
    const paths = await makeInputs(name, mb, inputs);
    const child = spawnSync(process.execPath, [import.meta.filename, '--case', name, '--files', ...paths], {
      encoding: 'utf8',
      env: { ...process.env, QUIRE_IMPORT_MEMORY_CHILD: '1' },
      maxBuffer: 16 * MB,
    });
    const line = child.stdout.trim().split('\n').at(-1);
    if (child.status !== 0 || !line) {
      console.error(`${name}: exited ${child.status ?? child.signal}: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      continue;
    }
    for (const path of paths) rmSync(path);
    const r = JSON.parse(line);
    rows.push([r.case, String(r.files), r.inputMb.toFixed(1), r.before.toFixed(0), r.peak.toFixed(0), r.justAfter.toFixed(0), r.settled.toFixed(0), r.heapMb.toFixed(0), r.externalMb.toFixed(0), r.seconds.toFixed(1), r.results]);
  }
  rmSync(inputs, { recursive: true, force: true });
  const header = ['case', 'files', 'input MB', 'RSS before MB', 'peak RSS MB', 'RSS after MB', 'after GC+3 s MB', 'heap MB', 'buffers MB', 'seconds', 'outcomes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
}
