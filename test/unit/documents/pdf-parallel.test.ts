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

  it('shares the pages after a page read by OCR one page at least each, the first range staying with its reading', () => {
    expect(scanRanges([1, 12], 1, 2)).toEqual([[1, 6], [7, 12]]);
    expect(scanRanges([1, 10], 4, 3)).toEqual([[1, 6], [7, 8], [9, 10]]);
    // One page left: the reading that did OCR reads it, no process is started for it.
    expect(scanRanges([1, 2], 1, 2)).toEqual([[1, 2]]);
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
      expect(JSON.stringify(parallel)).toBe(JSON.stringify(serial));
    } finally {
      useParserLauncher(forkProcess);
    }
    expect(inputs.map((i) => i.pdf)).toEqual([{ processes: 3 }, { range: [34, 66], numPages: 100 }, { range: [67, 100], numPages: 100 }]);
    expect(progress.at(-1)).toEqual([100, 100]);
    expect(serial.anchors.filter((a) => a.kind === 'page').map((a) => a.label).slice(0, 6)).toEqual(['i', 'ii', 'iii', 'iv', '1', '2']);
    expect(serial.warnings.length).toBeGreaterThan(0);
  });

  it('reads a short scanned PDF in several parser processes, from its first page read by OCR on', { timeout: 180_000 }, async () => {
    const scan = [['The keeper lit the lamp at dusk and wrote of the wind from the west.']];
    const bytes = await makeScannedPdf([{ scan }, { scan }, { scan }]);
    const serial = await extractBytes('scan.pdf', bytes);
    const inputs: WorkerInput[] = [];
    useParserLauncher(<In, Out>(entry: string, options: Parameters<typeof forkProcess>[1]) => {
      const parser = forkProcess<In, Out>(entry, options);
      return { ...parser, send: (message: In) => (inputs.push(message as WorkerInput), parser.send(message)) } as ServiceProcess<In, Out>;
    });
    try {
      const parallel = await extractIsolated({ name: 'scan.pdf', bytes }, { pdfProcesses: 2 });
      expect(JSON.stringify(parallel)).toBe(JSON.stringify(serial));
    } finally {
      useParserLauncher(forkProcess);
    }
    expect(inputs.map((i) => i.pdf)).toEqual([{ processes: 2 }, { range: [3, 3], numPages: 3 }]);
  });
});
