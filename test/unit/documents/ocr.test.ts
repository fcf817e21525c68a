import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentModelSchema, type DocumentModel } from '../../../electron/common/document.ts';
import { calls } from '../../../electron/common/contract.ts';
import { OCR_LANGUAGES, ocrLanguageForLocale } from '../../../electron/common/ocr-languages.ts';
import { extractBytes, extractIsolated } from '../../../electron/node/documents/extract.ts';
import { languageDataPath, listLabels } from '../../../electron/node/documents/ocr.ts';
import { makeScannedPdf, wordRecall } from './scan-fixtures.ts';

const PAGE_ONE = [
  ['The committee met on the third of March to review the harbour accounts.', 'Every ledger was checked against the receipts kept by the clerk.'],
  ['Nothing was missing except a small sum paid for lamp oil.'],
];
const PAGE_TWO = [['On the second page the keeper describes the storm that broke the western window.', 'Repairs were finished within a fortnight.']];
const TEXT_PAGE = [['This page has a real text layer.']];
const GERMAN = [['Die Prüfung der Bücher ergab, dass die Gebühren für Öl und Straßenlaternen zu hoch waren.']];

const dir = mkdtempSync(join(tmpdir(), 'quire-ocr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let book: Uint8Array;
let doc: DocumentModel;
const progress: Array<[number, number, string | undefined]> = [];
beforeAll(async () => {
  // A scanned page, a page with a text layer, a blank page, then another scanned page.
  book = await makeScannedPdf([{ scan: PAGE_ONE }, { text: TEXT_PAGE }, { blank: true }, { scan: PAGE_TWO }]);
  doc = DocumentModelSchema.parse(await extractIsolated({ name: 'scan.pdf', bytes: book }, { onProgress: (d, t, p) => progress.push([d, t, p]) }));
}, 120_000);

const pageText = (d: DocumentModel, label: string) => {
  const page = d.anchors.find((a) => a.kind === 'page' && a.label === label)!;
  return d.text.slice(page.start, page.end);
};

describe('OCR of scanned PDF pages', () => {
  it('reads the words of scanned pages, each under its own page anchor', () => {
    expect(doc.anchors.filter((a) => a.kind === 'page').map((a) => a.label)).toEqual(['1', '2', '3', '4']);
    expect(wordRecall(PAGE_ONE.flat().join(' '), pageText(doc, '1'))).toBeGreaterThanOrEqual(0.9);
    expect(wordRecall(PAGE_TWO.flat().join(' '), pageText(doc, '4'))).toBeGreaterThanOrEqual(0.9);
    // The text layer is taken as it is, and a blank page is not OCR'd (it stays empty).
    expect(pageText(doc, '2')).toBe('This page has a real text layer.');
    expect(pageText(doc, '3')).toBe('');
    // Tesseract's paragraph break survives as a blank line.
    expect(pageText(doc, '1')).toMatch(/receipts kept by the clerk\.\n\nNothing/);
  });

  it('marks the text as OCR\'d: the pages read, the language and the confidence', () => {
    const note = doc.warnings.find((w) => w.includes('read by OCR'));
    expect(note).toMatch(/^pages 1, 4 read by OCR \(eng\): mean confidence (\d+)%(, lowest \d+% on page [14])?$/);
    expect(Number(/mean confidence (\d+)%/.exec(note!)![1])).toBeGreaterThan(80);
    expect(doc.warnings.some((w) => w.startsWith('low OCR confidence'))).toBe(false);
  });

  it('reports progress page by page, in the ocr phase for pages read by OCR', () => {
    const pages = progress.filter(([, total]) => total === 4);
    expect(pages).toContainEqual([0, 4, 'ocr']);
    expect(pages).toContainEqual([1, 4, 'ocr']);
    expect(pages).toContainEqual([2, 4, undefined]);
    expect(pages).toContainEqual([4, 4, 'ocr']);
    const done = pages.map(([d]) => d);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  it('reads in the chosen language', async () => {
    const german = await makeScannedPdf([{ scan: GERMAN }]);
    const deu = await extractBytes('de.pdf', german, { ocrLanguage: 'deu' });
    expect(deu.text).toContain('Prüfung');
    expect(deu.text).toContain('Straßenlaternen');
    expect(wordRecall(GERMAN.flat().join(' '), deu.text)).toBeGreaterThanOrEqual(0.9);
    expect(deu.warnings.join('\n')).toContain('read by OCR (deu)');
  }, 60_000);

  it('refuses an OCR language it has no data for, before parsing', async () => {
    await expect(extractIsolated({ name: 'scan.pdf', bytes: book }, { ocrLanguage: 'klingon' as never })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^unknown OCR language "klingon" \(one of eng, deu, fra, spa, ita, por\)$/),
    });
  });

  it('is cancelled mid-book: the parser and its OCR stop, and the import fails with CANCELLED', async () => {
    const long = await makeScannedPdf(Array.from({ length: 6 }, () => ({ scan: PAGE_TWO })));
    const abort = new AbortController();
    const seen: number[] = [];
    const started = Date.now();
    const result = extractIsolated(
      { name: 'long.pdf', bytes: long },
      {
        signal: abort.signal,
        onProgress: (done, _total, phase) => {
          if (phase !== 'ocr') return;
          seen.push(done);
          if (done === 1) abort.abort();
        },
      },
    );
    await expect(result).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Math.max(...seen)).toBeLessThan(6);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 60_000);

  it('renews the time limit for each page read by OCR, so a book longer than the limit is still read', async () => {
    // The limit leaves room for the parser's process to start on a loaded machine, not for the whole book.
    const long = await makeScannedPdf(Array.from({ length: 10 }, () => ({ scan: PAGE_TWO })));
    const started = Date.now();
    // One process: shared among a machine's cores (pdf-parallel.test.ts), the book could fit in the limit.
    const read = await extractIsolated({ name: 'long.pdf', bytes: long }, { timeoutMs: 4500, pdfProcesses: 1 });
    expect(Date.now() - started).toBeGreaterThan(4500);
    expect(read.anchors.filter((a) => a.kind === 'page')).toHaveLength(10);
  }, 120_000);

  it('calls out pages read with low confidence (a coarse scan)', async () => {
    const coarse = await makeScannedPdf([{ scan: PAGE_ONE }], 40);
    const read = await extractBytes('coarse.pdf', coarse);
    expect(read.warnings.find((w) => w.startsWith('low OCR confidence'))).toMatch(/^low OCR confidence \(under 60%\) on page 1 \(\d+%\): check these against the page images$/);
  }, 60_000);

  it('keeps a PDF whose only image holds no text SCANNED, naming the language tried', async () => {
    const blankScan = await makeScannedPdf([{ scan: [] }]);
    await expect(extractBytes('blank.pdf', blankScan)).rejects.toMatchObject({
      code: 'SCANNED',
      message: 'the PDF has no text layer and OCR (eng) found no text on its scanned pages',
    });
  }, 60_000);

  // Tesseract must never reach for a CDN: the worker runs in a process without any network (a fresh network
  // namespace holds only a downed loopback), so a fetch would fail the extraction.
  const offline = spawnSync('unshare', ['-rn', 'true']).status === 0;
  it.skipIf(!offline)('works with the network cut off (language data and core from node_modules)', () => {
    const path = join(dir, 'scan.pdf');
    writeFileSync(path, book);
    const r = spawnSync('unshare', ['-rn', 'node_modules/.bin/node', 'bin/quire.mjs', 'extract', path, '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const offlineDoc = DocumentModelSchema.parse(JSON.parse(r.stdout));
    expect(wordRecall(PAGE_ONE.flat().join(' '), offlineDoc.text)).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});

describe('OCR helpers', () => {
  it('refuses a picture by name, saying a scan is read when it comes as a PDF', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(64).fill(7)]);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new Array(64).fill(7)]);
    for (const [name, bytes, kind] of [['page.png', png, 'PNG'], ['photo.jpg', jpeg, 'JPEG'], ['scan.pdf', png, 'PNG']] as const) {
      await expect(extractBytes(name, bytes)).rejects.toMatchObject({
        code: 'UNSUPPORTED_FORMAT',
        message: `an image (${kind}), not a document: Quire reads PDF, EPUB, DOCX, TXT, Markdown, HTML, SRT and WebVTT; scanned pages are read by OCR when they come as a PDF`,
      });
    }
  });

  it('lists page labels with consecutive numbers as ranges', () => {
    expect(listLabels(['1', '2', '3', '7', '9', '10', 'iv', 'A-1'])).toBe('1–3, 7, 9–10, iv, A-1');
  });

  it('has every offered language installed from npm, in a local folder', () => {
    for (const language of OCR_LANGUAGES) {
      const folder = languageDataPath(language);
      expect(folder).toMatch(/node_modules[\\/]@tesseract\.js-data[\\/]/);
      expect(existsSync(join(folder, `${language}.traineddata.gz`)), language).toBe(true);
    }
  });

  it('takes only the languages it has data for in the import call', () => {
    const input = calls['library.import'].input;
    const bytes = new Uint8Array([1]);
    expect(input.safeParse({ name: 'a.pdf', bytes, ocrLanguage: 'deu' }).success).toBe(true);
    expect(input.safeParse({ name: 'a.pdf', bytes }).success).toBe(true);
    expect(input.safeParse({ name: 'a.pdf', bytes, ocrLanguage: '../../etc' }).success).toBe(false);
    expect(calls['library.cancelImport'].input.safeParse({ name: '' }).success).toBe(false);
  });

  it('picks the OCR language from the locale, English otherwise', () => {
    expect(ocrLanguageForLocale('de-AT')).toBe('deu');
    expect(ocrLanguageForLocale('pt_BR')).toBe('por');
    expect(ocrLanguageForLocale('ja-JP')).toBe('eng');
    expect(ocrLanguageForLocale(undefined)).toBe('eng');
  });
});
