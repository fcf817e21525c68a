import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { OCR_LANGUAGES, OCR_NOTE_MARK, type OcrLanguage } from '../../common/ocr-languages.ts';
import { QuireError } from '../../common/errors.ts';
import { OCR_DPI, OCR_LOW_CONFIDENCE, OCR_MAX_PIXELS } from './limits.ts';

const require = createRequire(import.meta.url);

type TesseractWorker = import('tesseract.js').Worker;

// The integer LSTM models ("best_int"): the ones tesseract.js itself defaults to, about as accurate as "best" at
// a fraction of the time. They are read from the language's npm package, never from a CDN.
const MODEL_FOLDER = '4.0.0_best_int';

export function languageDataPath(language: OcrLanguage): string {
  return join(dirname(require.resolve(`@tesseract.js-data/${language}/package.json`)), MODEL_FOLDER);
}

export function checkOcrLanguage(language: string): OcrLanguage {
  if (!(OCR_LANGUAGES as readonly string[]).includes(language)) {
    throw new QuireError('INVALID_INPUT', `unknown OCR language "${language}" (one of ${OCR_LANGUAGES.join(', ')})`);
  }
  return language as OcrLanguage;
}

export interface OcrLine {
  text: string;
  // The line's bottom and height in pixels, y growing up the page as in PDF coordinates.
  y: number;
  size: number;
}

export interface OcrResult {
  lines: OcrLine[];
  // Tesseract's mean word confidence for the page, 0–100.
  confidence: number;
}

// Gray 8-bit PNM (P5): Leptonica reads it directly, and unlike PNG it costs no compression for an image that
// is read once and thrown away.
function grayPnm(rgba: Uint8ClampedArray, width: number, height: number): Buffer {
  const header = Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1');
  const out = Buffer.allocUnsafe(header.length + width * height);
  header.copy(out);
  for (let i = 0, o = header.length; i < rgba.length; i += 4, o++) out[o] = (rgba[i] * 77 + rgba[i + 1] * 150 + rgba[i + 2] * 29) >> 8;
  return out;
}

// The page is rendered as a whole (pdf.js drawing onto @napi-rs/canvas) rather than its image XObjects taken
// out of the operator list: scanners split pages into strips, add masks, rotate pages or mix a scan with
// vector stamps, and pdf.js already decodes JBIG2, CCITT and JPEG 2000 and composes all of that; a rendered
// page is exactly what the reader sees, at one known resolution whatever the images' own. The image is a gray
// PNM (bench/ocr.ts gives the same files to Debian's tesseract).
export async function renderPage(page: PDFPageProxy): Promise<Buffer> {
  const { createCanvas } = require('@napi-rs/canvas') as typeof import('@napi-rs/canvas');
  const unit = page.getViewport({ scale: 1 });
  const scale = Math.min(OCR_DPI / 72, Math.sqrt(OCR_MAX_PIXELS / (unit.width * unit.height)));
  const viewport = page.getViewport({ scale });
  const canvas = createCanvas(Math.max(1, Math.floor(viewport.width)), Math.max(1, Math.floor(viewport.height)));
  const context = canvas.getContext('2d');
  // pdf.js types its canvas as the DOM's; @napi-rs/canvas is a drop-in for what it draws with.
  type RenderParameters = Parameters<PDFPageProxy['render']>[0];
  await page.render({ canvas: canvas as unknown as RenderParameters['canvas'], canvasContext: context as unknown as RenderParameters['canvasContext'], viewport, background: 'white' })
    .promise;
  const image = grayPnm(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
  // The bitmap lives outside the V8 heap, where the garbage collector does not see its size and would keep
  // pages of it around: an empty canvas releases it now.
  canvas.width = 0;
  canvas.height = 0;
  return image;
}

// Whether the page draws any image: a page without text and without images is blank, and is not worth OCR.
export async function drawsImages(page: PDFPageProxy, ops: Record<string, number>): Promise<boolean> {
  const painters = new Set(Object.entries(ops).filter(([name]) => /^paint.*Image/.test(name)).map(([, code]) => code));
  // The same intent as the render below, so pdf.js reuses this operator list instead of parsing the page twice.
  const list = await page.getOperatorList({ intent: 'display' });
  return list.fnArray.some((fn) => painters.has(fn));
}

// A page where OCR found text (a scanned photo or an empty scan stays a page without text, not an OCR'd one).
export interface OcrPageRead {
  label: string;
  confidence: number;
}

// One Tesseract worker for the whole document (or page range), started on the first page that needs it; pages
// are read one at a time, so memory holds one page image at once.
export class PageOcr {
  readonly language: OcrLanguage;
  #worker: Promise<TesseractWorker> | undefined;

  constructor(language: OcrLanguage) {
    this.language = language;
  }

  // `accept`: whether the reading replaces what the page has (a page with an unreadable text layer takes only a
  // sure one); a refused reading gives no lines. `page`: the page's record for ocrWarnings, when it found text.
  async read(page: PDFPageProxy, label: string, accept: (read: OcrResult) => boolean = () => true): Promise<OcrResult & { page: OcrPageRead | null }> {
    const image = await renderPage(page);
    const worker = await (this.#worker ??= this.#start());
    const { data } = await worker.recognize(image, {}, { text: false, blocks: true });
    const lines: OcrLine[] = [];
    for (const block of data.blocks ?? []) {
      for (const paragraph of block.paragraphs) {
        for (const line of paragraph.lines) {
          const text = line.text.replace(/\s+/g, ' ').trim();
          if (text) lines.push({ text, y: -line.bbox.y1, size: Math.max(1, line.bbox.y1 - line.bbox.y0) });
        }
        // A paragraph break Tesseract found is kept as a blank line.
        lines.push({ text: '', y: 0, size: 1 });
      }
    }
    const confidence = Math.round(data.confidence);
    if (!accept({ lines, confidence })) return { lines: [], confidence, page: null };
    return { lines, confidence, page: lines.some((l) => l.text) ? { label, confidence } : null };
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.then((w) => w.terminate(), () => undefined);
  }

  async #start(): Promise<TesseractWorker> {
    const { createWorker, OEM } = require('tesseract.js') as typeof import('tesseract.js');
    // cacheMethod 'none': the data is read from the package each time instead of a copy written to the
    // working directory; langPath is a local folder, so tesseract.js reads it with fs and never fetches.
    return createWorker(this.language, OEM.LSTM_ONLY, { langPath: languageDataPath(this.language), cacheMethod: 'none', gzip: true }).catch(
      (error: unknown) => {
        throw new QuireError('INTERNAL', `OCR could not start for ${this.language}: ${String((error as Error)?.message ?? error).split('\n')[0]}`);
      },
    );
  }
}

// What the reader should know about the OCR'd text: which pages were read by OCR, how sure it was, and which
// pages to check against their image. `pages` in page order.
export function ocrWarnings(language: OcrLanguage, pages: readonly OcrPageRead[]): string[] {
  if (pages.length === 0) return [];
  const mean = Math.round(pages.reduce((sum, p) => sum + p.confidence, 0) / pages.length);
  const lowest = pages.reduce((low, p) => (p.confidence < low.confidence ? p : low));
  const warnings = [
    `${pages.length === 1 ? 'page' : 'pages'} ${listLabels(pages.map((p) => p.label))} ${OCR_NOTE_MARK} (${language}): mean confidence ${mean}%` +
      (lowest.confidence < mean ? `, lowest ${lowest.confidence}% on page ${lowest.label}` : ''),
  ];
  const low = pages.filter((p) => p.confidence < OCR_LOW_CONFIDENCE);
  if (low.length) {
    warnings.push(`low OCR confidence (under ${OCR_LOW_CONFIDENCE}%) on ${low.length === 1 ? 'page' : 'pages'} ${low.map((p) => `${p.label} (${p.confidence}%)`).join(', ')}: check these against the page images`);
  }
  return warnings;
}

// A page whose text layer is unreadable (fonts without a Unicode map) takes its OCR reading only when Tesseract is
// sure of it and it holds words: its glyphs are drawn from the embedded font, but a font that is missing too
// draws boxes, which OCR reads as a few low-confidence marks.
const REPLACE_MIN_WORDS = 3;
export function sureReading({ lines, confidence }: OcrResult): boolean {
  const words = lines.flatMap((l) => l.text.match(/\p{L}{2,}/gu) ?? []).length;
  return confidence >= OCR_LOW_CONFIDENCE && words >= REPLACE_MIN_WORDS;
}

// "1–3, 7, 9–12" for consecutive numeric labels; other labels (roman numerals, "A-1") are listed as they are.
export function listLabels(labels: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < labels.length; i++) {
    let j = i;
    while (j + 1 < labels.length && /^\d+$/.test(labels[j]) && Number(labels[j + 1]) === Number(labels[j]) + 1) j++;
    parts.push(j > i ? `${labels[i]}–${labels[j]}` : labels[i]);
    i = j;
  }
  return parts.join(', ');
}
