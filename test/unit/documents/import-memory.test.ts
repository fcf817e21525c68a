// Memory of hostile imports (issue 13 point 11): the parser's heap cap follows the machine's memory, and a
// flate-bomb PDF (1 MB that pdf.js would inflate into a 1 GB buffer outside that cap: 2.9 GB resident) is
// refused before pdf.js reads it. Measured in a fresh process, whose peak resident memory is the kernel's
// high-water mark: a sample cannot miss it and nothing earlier in the test run inflates it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPdfStreams } from '../../../electron/node/documents/pdf-guard.ts';
import { MAX_PDF_STREAM_BYTES, MAX_WORKER_HEAP_MB, MIN_WORKER_HEAP_MB, workerHeapMb } from '../../../electron/node/documents/limits.ts';
import { flateBombPdf } from './flate-bomb.ts';
import { extractIsolated, useParserLauncher } from '../../../electron/node/documents/extract.ts';
import { forkProcess, type LaunchOptions } from '../../../electron/node/service-process.ts';
import { MAX_PDF_IMAGE_STREAM_BYTES, PARSER_MEMORY_MB, WORKER_HEAP_MB } from '../../../electron/node/documents/limits.ts';
import { makePdf } from './fixtures.ts';

const GiB = 2 ** 30;
const dir = mkdtempSync(join(tmpdir(), 'quire-import-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Imports the files at once through extractIsolated (the queue and workers the app uses) in a fresh process;
// prints each outcome and the process's peak RSS in MB.
function importInChild(paths: string[]): { outcomes: string[]; peakMb: number } {
  const script = `
    import { readFileSync } from 'node:fs';
    import { extractIsolated } from ${JSON.stringify(join(import.meta.dirname, '../../../electron/node/documents/extract.ts'))};
    const paths = ${JSON.stringify(paths)};
    const outcomes = await Promise.all(paths.map((path) => extractIsolated({ name: path, bytes: new Uint8Array(readFileSync(path)) })
      .then((doc) => 'ok ' + doc.chars, (error) => error.code + ': ' + error.message)));
    console.log(JSON.stringify({ outcomes, peakMb: process.resourceUsage().maxRSS / 1024 }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  if (child.status !== 0) throw new Error(`child failed (${child.status ?? child.signal}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!);
}

describe('memory of imports', () => {
  it('parses in a heap-capped process of its own, and says so when a document needs more than its cap', async () => {
    const launched: LaunchOptions[] = [];
    // The app's own launcher, with a cap small enough for a long film's 300,000 subtitle cues to exceed it.
    useParserLauncher((entry, options) => {
      launched.push(options);
      return forkProcess(entry, { ...options, heapMb: 32 });
    });
    try {
      const time = (s: number) => `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')},000`;
      const cues = Array.from({ length: 300_000 }, (_, i) => `${i + 1}\n${time(i)} --> ${time(i + 1)}\nLine ${i} of the film.\n`).join('\n');
      await expect(extractIsolated({ name: 'film.srt', bytes: new TextEncoder().encode(cues) })).rejects.toMatchObject({
        code: 'LIMIT_EXCEEDED',
        message: `parsing needed more memory than its limit (${WORKER_HEAP_MB} MB of heap, ${PARSER_MEMORY_MB} MB in all)`,
      });
      expect(launched).toEqual([{ name: 'Quire document parser', heapMb: WORKER_HEAP_MB, memoryMb: PARSER_MEMORY_MB, quiet: true }]);
    } finally {
      useParserLauncher(forkProcess);
    }
  }, 60_000);

  // ArrayBuffers and native buffers lie outside the heap cap (an encrypted PDF bomb took the parser to 3.6 GB):
  // the operating system caps the process's whole writable memory, and a breach reads as LIMIT_EXCEEDED.
  it.skipIf(process.platform === 'win32')('caps the whole memory of the parser process, not only its heap', async () => {
    useParserLauncher((entry, options) => forkProcess(entry, { ...options, memoryMb: 300 }));
    try {
      // 40 MB of text: its bytes, the decoded string and the model's copies fit the 2 GB heap, not 300 MB in all.
      const text = new TextEncoder().encode('word '.repeat(8 * 2 ** 20));
      await expect(extractIsolated({ name: 'big.txt', bytes: text })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    } finally {
      useParserLauncher(forkProcess);
    }
    expect(PARSER_MEMORY_MB).toBe(WORKER_HEAP_MB + MAX_PDF_IMAGE_STREAM_BYTES / 2 ** 20 + 512);
  }, 60_000);

  it('caps the parser heap at an eighth of the machine, between 256 MB and 2 GB', () => {
    expect(workerHeapMb(1 * GiB)).toBe(MIN_WORKER_HEAP_MB);
    expect(workerHeapMb(4 * GiB)).toBe(512);
    expect(workerHeapMb(8 * GiB)).toBe(1024);
    expect(workerHeapMb(64 * GiB)).toBe(MAX_WORKER_HEAP_MB);
  });

  it('refuses flate-bomb PDFs queued with a real book without inflating them, and imports the book', { timeout: 120_000 }, async () => {
    const bomb = await flateBombPdf(1024 * 2 ** 20);
    expect(bomb.length).toBeLessThan(1.1 * 2 ** 20);
    const paths = ['bomb-1.pdf', 'bomb-2.pdf', 'book.pdf'].map((name) => join(dir, name));
    writeFileSync(paths[0], bomb);
    writeFileSync(paths[1], bomb);
    writeFileSync(paths[2], makePdf(Array.from({ length: 50 }, (_, i) => ({ paragraphs: [[`Page ${i + 1} of a real book.`]] }))));
    const { outcomes, peakMb } = importInChild(paths);
    expect(outcomes.slice(0, 2)).toEqual(
      Array(2).fill(`LIMIT_EXCEEDED: a PDF stream decodes to more than ${MAX_PDF_STREAM_BYTES / 2 ** 20} MB (a decompression bomb?)`),
    );
    expect(outcomes[2]).toMatch(/^ok \d+/);
    // Without the check, each bomb holds a 1 GB buffer (2.9 GB resident for one); with it the process stays
    // near its size at rest (Node, pdf.js and two workers: about 250 MB).
    expect(peakMb).toBeLessThan(600);
  });

  it('finds a bomb just over the cap, nested in two deflate layers or with an indirect length', { timeout: 60_000 }, async () => {
    for (const options of [{}, { nested: true }, { indirectLength: true }]) {
      const bomb = await flateBombPdf(MAX_PDF_STREAM_BYTES + 2 ** 20, options);
      await expect(checkPdfStreams(bomb)).rejects.toThrow(/decodes to more than 256 MB/);
    }
    // Just under the cap: a document, not a bomb.
    await expect(checkPdfStreams(await flateBombPdf(MAX_PDF_STREAM_BYTES - 2 ** 20, { nested: true }))).resolves.toBeUndefined();
  });
});
