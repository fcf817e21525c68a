// A long PDF's pages are read in page ranges by several parser processes at once (issue 21 point 2): the document
// must be the same, byte for byte, as the one a single reading of all pages gives.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractBytes, extractIsolated, useParserLauncher, type WorkerInput } from '../../../electron/node/documents/extract.ts';
import { readPdf } from '../../../electron/node/documents/pdf.ts';
import { assemblePdf, pageRanges, scanRanges, type PdfPart } from '../../../electron/node/documents/pdf-parts.ts';
import { PDF_MIN_PAGES_PER_PROCESS } from '../../../electron/node/documents/limits.ts';
import { forkProcess, type ServiceProcess } from '../../../electron/node/service-process.ts';
import { makePdf, type PdfPage } from './fixtures.ts';
import { makeScannedPdf } from './scan-fixtures.ts';

const REAL_PDFS = [
  'test/unit/documents/producer-pdfs/arabic.pdf',
  'test/unit/documents/producer-pdfs/letter-spaced.pdf',
  'test/unit/documents/producer-pdfs/no-unicode-map.pdf',
  'test/unit/documents/producer-pdfs/vertical-japanese.pdf',
  'test/corpus/files/pdfreader/sample-aes128-empty-user.pdf',
].map((path) => join(import.meta.dirname, '../../..', path));

// 100 pages: prose, blank pages and image-only pages among them, roman-numbered front matter.
function longPdf(): Uint8Array {
  const pages: PdfPage[] = Array.from({ length: 100 }, (_, i) => {
    if (i % 17 === 5) return {};
    if (i % 23 === 7) return { image: true };
    return { paragraphs: [[`Page ${i + 1} begins the keeper's log.`, 'The lamp was lit at dusk.'], [`Entry ${i * 7}: wind from the west.`]] };
  });
  return makePdf(pages, { title: 'The keeper', labels: [[0, 'r'], [4, 'D', '', 1]] });
}

describe('PDF pages in parallel', () => {
  it('splits pages into contiguous ranges, none shorter than the minimum', () => {
    expect(pageRanges(10, 4)).toEqual([[1, 10]]);
    expect(pageRanges(PDF_MIN_PAGES_PER_PROCESS * 2, 8)).toEqual([[1, PDF_MIN_PAGES_PER_PROCESS], [PDF_MIN_PAGES_PER_PROCESS + 1, PDF_MIN_PAGES_PER_PROCESS * 2]]);
    const ranges = pageRanges(899, 8);
    expect(ranges[0][0]).toBe(1);
    expect(ranges.at(-1)![1]).toBe(899);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1] + 1);
  });

  it('shares the pages after a page read by OCR so that all end together, each other process late by its start', () => {
    // No start to make up for: halves of what is left.
    expect(scanRanges([1, 12], 2, 2, 0)).toEqual([[1, 7], [8, 12]]);
    // A start worth 2 pages: the first reading keeps 2 more (4 + 2 = 6 pages' time for the other's 4).
    expect(scanRanges([1, 12], 2, 2, 2)).toEqual([[1, 8], [9, 12]]);
    expect(scanRanges([1, 100], 2, 8, 3)).toEqual([[1, 17], [18, 28], [29, 40], [41, 52], [53, 64], [65, 76], [77, 88], [89, 100]]);
    // Another process would not be worth its start: one page left, or a start costing more than the pages it takes.
    expect(scanRanges([1, 3], 2, 2, 0)).toEqual([[1, 3]]);
    expect(scanRanges([1, 6], 2, 2, 7)).toEqual([[1, 6]]);
  });

  it('assembles real PDFs read one page range each into the document one reading gives (OCR, stray runs, letter-spacing)', { timeout: 120_000 }, async () => {
    for (const path of REAL_PDFS) {
      const bytes = new Uint8Array(readFileSync(path));
      const whole = await extractBytes('file.pdf', bytes);
      const { numPages } = await readPdf(bytes, 'file', { range: () => [1, 0] });
      const parts: PdfPart[] = [];
      for (let n = 1; n <= numPages; n++) parts.push(await readPdf(bytes, 'file', { range: () => [n, n] }));
      expect(JSON.stringify(assemblePdf(parts)), path).toBe(JSON.stringify(whole));
    }
  });

  it('reads a long PDF in several parser processes, each its own page range, into the same document as one process', { timeout: 120_000 }, async () => {
    const bytes = longPdf();
    const serial = await extractBytes('keeper.pdf', bytes);
    const inputs: WorkerInput[] = [];
    useParserLauncher(<In, Out>(entry: string, options: Parameters<typeof forkProcess>[1]) => {
      const parser = forkProcess<In, Out>(entry, options);
      return { ...parser, send: (message: In) => (inputs.push(message as WorkerInput), parser.send(message)) } as ServiceProcess<In, Out>;
    });
    const progress: [number, number][] = [];
    try {
      const parallel = await extractIsolated({ name: 'keeper.pdf', bytes }, { pdfProcesses: 3, onProgress: (done, total) => progress.push([done, total]) });
      expect(parallel).toStrictEqual(serial);
    } finally {
      useParserLauncher(forkProcess);
    }
    expect(inputs.map((i) => i.pdf)).toEqual([{ processes: 3 }, { range: [34, 66], numPages: 100 }, { range: [67, 100], numPages: 100 }]);
    expect(progress.at(-1)).toEqual([100, 100]);
    expect(serial.anchors.filter((a) => a.kind === 'page').map((a) => a.label).slice(0, 6)).toEqual(['i', 'ii', 'iii', 'iv', '1', '2']);
    expect(serial.warnings.length).toBeGreaterThan(0);
  });

  it('reads a short scanned PDF in several parser processes into the same document as one process', { timeout: 240_000 }, async () => {
    const scan = [
      ['The keeper lit the lamp at dusk and wrote of the wind from the west.', 'The ships passed in the night, and the oil ran low.'],
      ['By morning the storm had broken the western window of the lamp room.'],
    ];
    const bytes = await makeScannedPdf(Array.from({ length: 10 }, () => ({ scan })));
    const serial = await extractBytes('scan.pdf', bytes);
    const inputs: WorkerInput[] = [];
    useParserLauncher(<In, Out>(entry: string, options: Parameters<typeof forkProcess>[1]) => {
      const parser = forkProcess<In, Out>(entry, options);
      return { ...parser, send: (message: In) => (inputs.push(message as WorkerInput), parser.send(message)) } as ServiceProcess<In, Out>;
    });
    try {
      const parallel = await extractIsolated({ name: 'scan.pdf', bytes }, { pdfProcesses: 2 });
      expect(parallel).toStrictEqual(serial);
    } finally {
      useParserLauncher(forkProcess);
    }
    // Whether a second process was worth its start depends on how fast this machine reads a page against how fast it
    // starts one (scanRanges); when it was, it read the last pages.
    expect(inputs[0].pdf).toEqual({ processes: 2 });
    for (const input of inputs.slice(1)) expect(input.pdf).toMatchObject({ range: [expect.any(Number), 10], numPages: 10 });
  });
});
