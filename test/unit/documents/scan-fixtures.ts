import { createCanvas } from '@napi-rs/canvas';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { makePdf, type PdfPage } from './fixtures.ts';

const fonts = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts') + sep;

// Pages of text as a scanner would deliver them: each text page is typeset (Helvetica, 12 pt), rendered at
// `dpi` and saved as a JPEG, and the PDF gets only the images, no text layer; `text` pages keep theirs.
export async function makeScannedPdf(pages: Array<{ scan: string[][] } | { text: string[][] } | { blank: true }>, dpi = 150): Promise<Uint8Array> {
  const out: PdfPage[] = [];
  for (const page of pages) {
    if ('blank' in page) out.push({});
    else if ('text' in page) out.push({ paragraphs: page.text });
    else out.push({ scan: await scanOf(page.scan, dpi) });
  }
  return makePdf(out);
}

async function scanOf(paragraphs: string[][], dpi: number): Promise<{ jpeg: Uint8Array; width: number; height: number }> {
  const task = getDocument({ data: makePdf([{ paragraphs }]), standardFontDataUrl: fonts, disableFontFace: true, useSystemFonts: false });
  try {
    const pdf = await task.promise;
    const page = await pdf.getPage(1);
    const viewport = page.getViewport({ scale: dpi / 72 });
    const canvas = createCanvas(Math.floor(viewport.width), Math.floor(viewport.height));
    const context = canvas.getContext('2d');
    await page.render({ canvas: canvas as unknown as HTMLCanvasElement, canvasContext: context as unknown as CanvasRenderingContext2D, viewport, background: 'white' }).promise;
    return { jpeg: await canvas.encode('jpeg', 80), width: canvas.width, height: canvas.height };
  } finally {
    await task.destroy();
  }
}

// The share of `expected`'s words found in `text` (case and punctuation ignored), each word counted as often
// as it occurs.
export function wordRecall(expected: string, text: string): number {
  const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const found = new Map<string, number>();
  for (const w of words(text)) found.set(w, (found.get(w) ?? 0) + 1);
  const want = words(expected);
  let hits = 0;
  for (const w of want) {
    const n = found.get(w) ?? 0;
    if (n > 0) {
      hits++;
      found.set(w, n - 1);
    }
  }
  return want.length ? hits / want.length : 1;
}
