import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type { DocumentModel } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import { MAX_PDF_PAGES } from './limits.ts';
import { metadataTitle } from './detect.ts';
import { drawsImages, PageOcr, sureReading } from './ocr.ts';
import { assemblePdf, type PageRange, type PdfPageRead, type PdfPart } from './pdf-parts.ts';
import { dropOverprints, dropStrayRuns, hasLetterSpacing, isUnreadable, pageLines, pageParagraphs, readableItems, type TextItem } from './pdf-text-layer.ts';
import { withFieldValues, type FieldAnnotation } from './pdf-form.ts';
import { readXfaFields, withXfaValues, type XfaField } from './pdf-xfa.ts';
import { glyphWordBreaks } from './pdf-word-breaks.ts';
import type { OcrLanguage } from '../../common/ocr-languages.ts';

const PDFJS_DIR = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const pdfjsData = (folder: string) => join(PDFJS_DIR, folder) + sep;

function refusal(error: unknown): QuireError {
  if (error instanceof QuireError) return error;
  const { name, message } = error as { name?: string; message?: string };
  if (name === 'PasswordException') return new QuireError('ENCRYPTED', 'the PDF is password-protected: open it with its password');
  return new QuireError('CORRUPT', `not a readable PDF (${(message ?? String(error)).split('\n')[0]})`);
}

// The standard security handler pads every password to 32 bytes with this string, so an empty password and
// the padding itself give the same key (PDF 32000-1, 7.6.3.3, algorithm 2).
const PASSWORD_PADDING = String.fromCharCode(
  ...[0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08],
  ...[0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a],
);

const isPasswordError = (error: unknown) => (error as { name?: string })?.name === 'PasswordException';
const needsPassword = (error: unknown) => (error as { name?: string; code?: number })?.name === 'PasswordException' && (error as { code?: number }).code === 1;

export interface ReadPdfOptions {
  // Told pages done within the range read, and the phase 'ocr' while pages are being read by OCR (seconds each,
  // instead of milliseconds).
  progress?: (done: number, total: number, phase?: 'ocr') => void;
  ocrLanguage?: OcrLanguage;
  // The user password of a protected PDF, used for this reading only and kept nowhere.
  password?: string;
  // Which pages this reading takes, once the page count is known (all of them unless given).
  range?: (numPages: number) => PageRange;
  // Told of each page of the reading `range` given to OCR, and the seconds it took: the last page this reading keeps
  // (the pages after it go to other processes).
  afterOcr?: (numPages: number, range: PageRange, page: number, seconds: number) => number;
}

export async function extractPdf(
  bytes: Uint8Array,
  fallbackTitle: string,
  progress?: (done: number, total: number, phase?: 'ocr') => void,
  ocrLanguage: OcrLanguage = 'eng',
  password?: string,
): Promise<DocumentModel> {
  return assemblePdf([await readPdf(bytes, fallbackTitle, { progress, ocrLanguage, password })], ocrLanguage);
}

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfLoading = ReturnType<Pdfjs['getDocument']>;
type PdfDocument = Awaited<PdfLoading['promise']>;

export async function readPdf(bytes: Uint8Array, fallbackTitle: string, { progress, ocrLanguage = 'eng', password, range, afterOcr }: ReadPdfOptions = {}): Promise<PdfPart> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const opened: { task: PdfLoading | null } = { task: null };
  const ocr = new PageOcr(ocrLanguage);
  try {
    const pdf = await openPdf(pdfjs, bytes, password, opened);
    if (pdf.numPages > MAX_PDF_PAGES) throw new QuireError('LIMIT_EXCEEDED', `${pdf.numPages} pages (the limit is ${MAX_PDF_PAGES})`);
    const [from, last] = range?.(pdf.numPages) ?? [1, pdf.numPages];
    let to = last;
    const labels = await pdf.getPageLabels().catch(() => null);
    const { info, metadata } = await pdf.getMetadata().catch(() => ({ info: undefined, metadata: undefined }));
    const formData = (info as { IsXFAPresent?: boolean } | undefined)?.IsXFAPresent ? await readXfaFields(bytes, password) : [];
    const pages: PdfPageRead[] = [];
    for (let n = from; n <= to; n++) {
      const started = performance.now();
      // Said before each OCR'd page, which takes seconds (and renews the parser's time limit).
      const read = await readPage(pdfjs, pdf, n, labels?.[n - 1] || String(n), ocr, formData, () => progress?.(n - from, to - from + 1, 'ocr'));
      pages.push(read.page);
      if (read.page.ocr !== undefined && afterOcr) to = afterOcr(pdf.numPages, [from, to], n, (performance.now() - started) / 1000);
      progress?.(n - from + 1, to - from + 1, read.scanned ? 'ocr' : undefined);
    }
    const infoTitle = (info as { Title?: unknown } | undefined)?.Title;
    const title = metadataTitle(metadata?.get('dc:title')) || metadataTitle(typeof infoTitle === 'string' ? infoTitle : '') || fallbackTitle;
    return { numPages: pdf.numPages, title, pages, ...(formData.length && { formData }) };
  } finally {
    await ocr.close();
    await opened.task?.destroy();
  }
}

// The document, opened with the password given or none. pdf.js tries an empty user password by itself, but an
// empty password (or none) never reaches its owner-password check, so a file locked only by an empty owner
// password — which poppler and qpdf open without asking — is retried with the padding, which stands for the
// empty password (revisions 2 to 4, RC4 and AES-128, which share the padded key derivation; AES-256 has no
// padding and stays refused). `opened.task` is the loading task to destroy, whatever happens.
async function openPdf(pdfjs: Pdfjs, bytes: Uint8Array, password: string | undefined, opened: { task: PdfLoading | null }): Promise<PdfDocument> {
  const open = (password?: string) => pdfjs.getDocument({
    password,
    // pdf.js detaches the buffer it is given; the caller keeps its own.
    data: new Uint8Array(bytes),
    verbosity: pdfjs.VerbosityLevel.ERRORS,
    enableXfa: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWorkerFetch: false,
    stopAtErrors: false,
    standardFontDataUrl: pdfjsData('standard_fonts'),
    cMapUrl: pdfjsData('cmaps'),
    wasmUrl: pdfjsData('wasm'),
  });
  const task = open(password);
  opened.task = task;
  return task.promise.catch(async (error: unknown) => {
    if (password !== undefined && isPasswordError(error)) throw new QuireError('ENCRYPTED', 'the PDF is password-protected and that password is not right');
    if (!needsPassword(error)) throw refusal(error);
    await task.destroy();
    const padded = open(PASSWORD_PADDING);
    opened.task = padded;
    return padded.promise.catch((retry: unknown) => {
      throw refusal(needsPassword(retry) ? error : retry);
    });
  });
}

// One page's paragraphs, from its text layer or by OCR, and whether OCR gave them. A page pdf.js cannot read is
// marked unreadable; OCR that cannot start fails the document.
async function readPage(pdfjs: Pdfjs, pdf: PdfDocument, n: number, label: string, ocr: PageOcr, formData: readonly XfaField[], onOcr: () => void): Promise<{ page: PdfPageRead; scanned: boolean }> {
  const read: PdfPageRead = { label, paragraphs: [] };
  let scanned = false;
  let garbled = false;
  try {
    const page = await pdf.getPage(n);
    const content = await page.getTextContent();
    const { annotations, shown } = withXfaValues((await page.getAnnotations().catch(() => [])) as FieldAnnotation[], formData);
    if (shown.length) read.formFields = shown;
    const items = withFieldValues(dropOverprints(content.items.filter((i): i is TextItem & typeof i => 'str' in i)), annotations);
    // A page set in fonts without a Unicode map gives codes, not text: only its readable runs are kept,
    // and it is named in a warning. `garbled` is the per-page flag for reading such a page by OCR instead.
    garbled = isUnreadable(items);
    // Only a page with letter-spaced runs has its glyphs read, for their word ends.
    const words = !garbled && hasLetterSpacing(items) ? await glyphWordBreaks(page, pdfjs.OPS) : undefined;
    const { lines, dropped } = dropStrayRuns(pageLines(garbled ? readableItems(items) : items, words));
    if (dropped) read.stray = true;
    read.paragraphs = pageParagraphs(lines);
    // A page with no text layer that draws an image is a scan (a whole scanned book, or one scanned page
    // inside a text PDF), and a page set in fonts without a Unicode map shows its text only as glyphs: both
    // are read by OCR; the latter keeps its readable runs (and its warning) unless OCR is sure.
    const scan = read.paragraphs.length === 0 && (await drawsImages(page, pdfjs.OPS));
    if (scan || garbled) {
      onOcr();
      read.ocr = null;
      const ocrRead = await ocr.read(page, read.label, scan ? undefined : sureReading);
      read.ocr = ocrRead.page;
      const paragraphs = pageParagraphs(ocrRead.lines);
      if (scan || paragraphs.length > 0) {
        read.paragraphs = paragraphs;
        scanned = true;
      }
    }
    page.cleanup();
  } catch (error) {
    if (error instanceof QuireError) throw error;
    read.unreadable = true;
  }
  if (garbled && !scanned) read.garbled = true;
  return { page: read, scanned };
}
