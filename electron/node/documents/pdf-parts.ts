// A PDF read in page ranges: what each page gives the document, and the document made of the parts. Pages are read
// by one parser process or, for a long PDF, by several at once (extract.ts, pdf.ts), and assemblePdf makes the same
// text, anchors and warnings of them however the pages were shared out. Kept apart from pdf.ts so that the process
// that assembles the parts does not load pdf.js.
import type { DocumentModel } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import type { OcrLanguage } from '../../common/ocr-languages.ts';
import { PDF_MIN_PAGES_PER_PROCESS } from './limits.ts';
import { listLabels, ocrWarnings, type OcrPageRead } from './ocr.ts';
import type { XfaField } from './pdf-xfa.ts';
import { TextBuilder } from './text-builder.ts';

// What one page gives the document.
export interface PdfPageRead {
  label: string;
  paragraphs: string[];
  // pdf.js could not read the page.
  unreadable?: true;
  // Fonts without a Unicode map, and OCR did not replace the text layer.
  garbled?: true;
  // Runs of stray Greek letters were left out.
  stray?: true;
  // Given to OCR, and what it found when it read text there.
  ocr?: OcrPageRead | null;
  // The data paths of the XFA form fields its widgets show.
  formFields?: string[];
}

// A page range's pages, with what the whole document says of itself (read by every process, so any part has it).
export interface PdfPart {
  numPages: number;
  title: string;
  pages: PdfPageRead[];
  // An XFA form's data fields.
  formData?: XfaField[];
}

// Pages `from`…`to`, counted from 1, both included.
export type PageRange = readonly [from: number, to: number];

// The page ranges `processes` parser processes read a PDF of `numPages` pages in: contiguous, in page order, and
// none shorter than `minPages` (by default PDF_MIN_PAGES_PER_PROCESS: a process's start and its own opening of the
// file cost about what that many pages of text take); one range, all pages, for a short PDF.
export function pageRanges(numPages: number, processes: number, minPages = PDF_MIN_PAGES_PER_PROCESS): PageRange[] {
  const count = Math.max(1, Math.min(processes, Math.floor(numPages / minPages)));
  return Array.from({ length: count }, (_, i) => [Math.floor((i * numPages) / count) + 1, Math.floor(((i + 1) * numPages) / count)] as const);
}

// A page read by OCR takes seconds, and so does a parser process's start (Tesseract's model loaded): once page `done`
// of the reading `from`…`to` was read by OCR, the pages after it are shared among up to `processes` so that all end
// together, each other process starting `startPages` pages' time late, and each given a page at least; the first
// range, from `from` on, stays with that reading. Where no other process would be worth its start, one range.
export function scanRanges([from, to]: PageRange, done: number, processes: number, startPages: number): PageRange[] {
  const rest = to - done;
  const count = Math.min(processes, Math.floor(rest - startPages));
  if (count < 2) return [[from, to]];
  // All end after (rest + (count − 1) × startPages) / count pages' time: the others read what is left then.
  const others = Math.floor(((count - 1) * (rest - startPages)) / count);
  const first = to - others;
  return [[from, first], ...pageRanges(others, count - 1, 1).map(([a, b]) => [a + first, b + first] as const)];
}

// The document of a PDF's parts, given in page order.
export function assemblePdf(parts: readonly PdfPart[], ocrLanguage: OcrLanguage = 'eng'): DocumentModel {
  const [{ numPages, title }] = parts;
  const pages = parts.flatMap((part) => part.pages);
  const builder = new TextBuilder();
  for (const page of pages) {
    const anchor = builder.open('page', page.label, { keepEmpty: true });
    for (const paragraph of page.paragraphs) {
      builder.append(paragraph);
      builder.separate('\n\n');
    }
    builder.close(anchor);
    builder.separate('\n\n');
  }
  // An XFA form's values that no widget shows on a page (all of a dynamic form's) are read at the end, each
  // after its field's name, so nothing typed into the form is missing.
  const shown = new Set(pages.flatMap((page) => page.formFields ?? []));
  const unshown = (parts[0].formData ?? []).filter((field) => field.value && !shown.has(field.path));
  if (unshown.length) {
    builder.heading(1, 'Form data');
    builder.append('Form data');
    builder.separate('\n\n');
    for (const field of unshown) {
      builder.append(`${field.label}: ${field.value}`);
      builder.separate('\n');
    }
  }
  const unreadable = pages.filter((p) => p.unreadable).length;
  const blank = pages.filter((p) => !p.garbled && p.paragraphs.length === 0).length;
  const garbledPages = pages.filter((p) => p.garbled).map((p) => p.label);
  const strayPages = pages.filter((p) => p.stray).map((p) => p.label);
  const ocrTried = pages.filter((p) => p.ocr !== undefined).length;
  if (unreadable === numPages) throw new QuireError('CORRUPT', 'no page of the PDF could be read');
  if (builder.chars === 0) {
    if (garbledPages.length) throw new QuireError('SCANNED', 'the text layer cannot be read (fonts without a Unicode map); the pages need OCR');
    throw new QuireError('SCANNED', ocrTried ? `the PDF has no text layer and OCR (${ocrLanguage}) found no text on its scanned pages` : 'the PDF has no text layer');
  }
  const warnings: string[] = [];
  if (garbledPages.length) warnings.push(`${garbledPages.length > 1 ? 'pages' : 'page'} ${listLabels(garbledPages)}: the text layer cannot be read (fonts without a Unicode map)`);
  if (strayPages.length) warnings.push(`${strayPages.length > 1 ? 'pages' : 'page'} ${listLabels(strayPages)}: runs of stray Greek letters in Arabic text (a font's wrong Unicode map) were left out`);
  if (unreadable) warnings.push(`${unreadable} of ${numPages} pages could not be read`);
  if (blank > unreadable) warnings.push(`${blank - unreadable} of ${numPages} pages have no text layer`);
  warnings.push(...ocrWarnings(ocrLanguage, pages.flatMap((p) => (p.ocr ? [p.ocr] : []))));
  return builder.model('pdf', title, warnings);
}
