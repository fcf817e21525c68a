import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DocumentModelSchema } from '../../../electron/common/document.ts';
import { extractBytes } from '../../../electron/node/documents/extract.ts';
import { dropStrayRuns, logicalOrder, type TextItem } from '../../../electron/node/documents/pdf-text-layer.ts';
import { glyphs, makeGlyphPdf, type GlyphFont } from './pdf-text-fixtures.ts';
import { PRODUCER_PDFS } from './producer-pdfs/sources.ts';

const read = async (name: string, pdf: Uint8Array) => DocumentModelSchema.parse(await extractBytes(name, pdf));

describe('letter-spaced text layers', () => {
  const helvetica: GlyphFont = { alphabet: ['x'] };
  // At 12 pt, Tc 3 is a quarter of an em between letters: pdf.js gives "A P L" items.
  const page = (tc: number, text: string) => ({ content: `BT /F2 12 Tf ${tc} Tc 72 700 Td (${text}) Tj ET` });

  it('join the glyphs of a run spaced by the character spacing, and keep the word spaces', async () => {
    const doc = await read('letterhead.pdf', makeGlyphPdf(helvetica, [page(3, 'APL Co. Pte Ltd')], { helvetica: true }));
    expect(doc.text).toBe('APL Co. Pte Ltd');
  });

  it('keep word spaces no wider than the spaces pdf.js writes for the tracking (0.15 em)', async () => {
    const doc = await read('tight.pdf', makeGlyphPdf(helvetica, [page(1.8, 'APL Co. Pte Ltd')], { helvetica: true }));
    expect(doc.text).toBe('APL Co. Pte Ltd');
  });

  it('find the words of a run spaced by TJ adjustments, without space glyphs', async () => {
    const tj = '[(A) -200 (P) -200 (L) -600 (C) -200 (o) -200 (.) -600 (P) -200 (t) -200 (e)] TJ';
    const doc = await read('kerned.pdf', makeGlyphPdf(helvetica, [{ content: `BT /F2 12 Tf 72 700 Td ${tj} ET` }], { helvetica: true }));
    expect(doc.text).toBe('APL Co. Pte');
  });

  it('find the words of glyphs placed one by one', async () => {
    // Every glyph is 6 pt wide: letters 2 pt apart, words 6 pt apart (both within pdf.js's space band).
    const letters: GlyphFont = { alphabet: [...'APLCo.Pte'] };
    let content = 'BT /F1 12 Tf 72 700 Td ';
    for (const word of ['APL', 'Co.', 'Pte']) {
      for (const c of word) content += `${glyphs(letters, [c])} Tj 8 0 Td `;
      content += '4 0 Td ';
    }
    const doc = await read('placed.pdf', makeGlyphPdf(letters, [{ content: `${content}ET` }]));
    expect(doc.text).toBe('APL Co. Pte');
  });

  it('leave text without character spacing, and spaced digits, as written', async () => {
    const doc = await read('plain.pdf', makeGlyphPdf(helvetica, [page(0, 'Grown on (1 0 0) wafers by A B Smith')], { helvetica: true }));
    expect(doc.text).toBe('Grown on (1 0 0) wafers by A B Smith');
  });

  it('read the tracked headings of a real Elsevier article as words (pdf-parse 02-valid.pdf)', async () => {
    const file = createRequire(import.meta.url).resolve('pdf-parse/test/data/02-valid.pdf');
    const doc = await read('02-valid.pdf', readFileSync(file));
    expect(doc.text).toContain('article info');
    expect(doc.text).toContain('abstract\n\nA GaInP/GaAs solar cell');
    expect(doc.text).not.toMatch(/a r t i c l e|a b s t r a c t/);
  });
});

describe('runs of one line', () => {
  const helvetica: GlyphFont = { alphabet: ['x'] };
  const run = (x: number, y: number, text: string) => `BT /F2 12 Tf ${x} ${y} Td (${text}) Tj ET `;

  it('are parted by a space where their boxes are apart, and joined where one goes on from the other', async () => {
    // "Ak" is 14.004 pt wide in 12 pt Helvetica (A 667, k 500): a run starting there goes on the same word.
    const content = run(72, 700, 'Turk J Med Sci') + run(300, 700, 'Effect of speed') + run(72, 686, 'Ak') + run(86.004, 686, 'in');
    const doc = await read('header.pdf', makeGlyphPdf(helvetica, [{ content }], { helvetica: true }));
    expect(doc.text).toBe('Turk J Med Sci Effect of speed Akin');
  });
});

describe('right-to-left text', () => {
  // "سلام عليكم" as a producer draws it: glyphs left to right on the page, in presentation forms, lam-alef
  // as one ligature glyph.
  const arabic: GlyphFont = {
    alphabet: ['س', 'لا', 'م', ' ', 'ع', 'ل', 'ي', 'ك', 'P', 'D', 'F'],
    unicode: ['\uFEB3', '\uFEFB', '\uFEE2', ' ', '\uFECB', '\uFEE0', '\uFEF4', '\uFEDC', 'P', 'D', 'F'],
  };
  const salaam = glyphs(arabic, ['م', 'لا', 'س']);
  const alaikum = glyphs(arabic, ['م', 'ك', 'ي', 'ل', 'ع']);

  it('reads presentation forms and the lam-alef ligature as letters in logical order', async () => {
    const doc = await read('greeting.pdf', makeGlyphPdf(arabic, [{ content: `BT /F1 12 Tf 72 700 Td ${alaikum} Tj 36 0 Td ${salaam} Tj ET` }]));
    expect(doc.text).toBe('سلام عليكم');
  });

  it('puts words drawn as separate runs, left to right, back in reading order', async () => {
    // 40 units apart: beyond pdf.js's space-in-flow limit, so the words stay separate items.
    const doc = await read('far.pdf', makeGlyphPdf(arabic, [{ content: `BT /F1 12 Tf 72 700 Td ${alaikum} Tj 70 0 Td ${salaam} Tj ET` }]));
    expect(doc.text).toBe('سلام عليكم');
  });

  it('keeps a Latin word inside an Arabic line in its own left-to-right order', async () => {
    const pdf = glyphs(arabic, ['P', 'D', 'F']);
    const doc = await read('mixed.pdf', makeGlyphPdf(arabic, [{ content: `BT /F1 12 Tf 72 700 Td ${alaikum} Tj 60 0 Td ${pdf} Tj 60 0 Td ${salaam} Tj ET` }]));
    expect(doc.text).toBe('سلام PDF عليكم');
  });

  it('orders items by the bidi rules: an RTL run inside an LTR line is reversed, LTR runs of an RTL line kept', () => {
    const item = (str: string, x: number, dir = 'ltr'): TextItem => ({ str, dir, transform: [12, 0, 0, 12, x, 700], width: 10, height: 12, hasEOL: false });
    const ltrLine = [item('Read ', 0), item('عليكم', 40, 'rtl'), item(' ', 80), item('سلام', 90, 'rtl'), item(' aloud today', 130)];
    expect(logicalOrder(ltrLine).map((i) => i.str).join('')).toBe('Read سلام عليكم aloud today');
    const rtlLine = [item('2024', 0), item(' ', 30), item('عام', 40, 'rtl'), item(' ', 70), item('في', 80, 'rtl')];
    expect(logicalOrder(rtlLine).map((i) => i.str).join('')).toBe('في عام 2024');
    // The full stop after a number ends the sentence: drawn left of the digits, read after them.
    const sentence = [item('.2024', 0), item(' ', 30), item('عام', 40, 'rtl'), item(' ', 70), item('في', 80, 'rtl')];
    expect(logicalOrder(sentence).map((i) => i.str).join('')).toBe('في عام 2024.');
  });
});

describe('vertical Japanese', () => {
  const japanese: GlyphFont = { alphabet: [...'縦書きの日本語です。次行'], vertical: true };

  it('reads a column of glyphs placed one by one as one run, and the next column on without a space', async () => {
    let content = 'BT /F1 12 Tf ';
    [...'縦書きの日本語です。'].forEach((c, i) => (content += `1 0 0 1 300 ${700 - 12 * i} Tm ${glyphs(japanese, [c])} Tj `));
    [...'次の行'].forEach((c, i) => (content += `1 0 0 1 284 ${700 - 12 * i} Tm ${glyphs(japanese, [c === 'の' ? 'の' : c])} Tj `));
    const doc = await read('tategaki.pdf', makeGlyphPdf(japanese, [{ content: `${content}ET` }]));
    expect(doc.text).toBe('縦書きの日本語です。次の行');
  });

  it('joins characters set one per line in a horizontal font without spaces', async () => {
    const horizontal: GlyphFont = { alphabet: japanese.alphabet };
    let content = 'BT /F1 12 Tf ';
    [...'日本語です'].forEach((c, i) => (content += `1 0 0 1 300 ${700 - 13 * i} Tm ${glyphs(horizontal, [c])} Tj `));
    const doc = await read('columns.pdf', makeGlyphPdf(horizontal, [{ content: `${content}ET` }]));
    expect(doc.text).toBe('日本語です');
  });
});

describe('fonts without a Unicode map', () => {
  const noMap: GlyphFont = { alphabet: [...'ABCDEFGH'], toUnicode: false };
  const garbage = { content: `BT /F1 12 Tf 72 700 Td ${glyphs(noMap, [...'ABCDEFGHABC'])} Tj ET` };
  const readable = (words: string) => ({ content: `BT /F2 12 Tf 72 700 Td (${words}) Tj ET` });

  it('name the unreadable pages in a warning and keep the readable text', async () => {
    const numbered = { content: `${garbage.content} BT /F2 10 Tf 300 40 Td (Page 6) Tj ET` };
    const pages = [readable('Page one reads.'), garbage, garbage, garbage, readable('Page five reads.'), numbered];
    const doc = await read('mixed-fonts.pdf', makeGlyphPdf(noMap, pages, { helvetica: true }));
    expect(doc.text).toBe('Page one reads.\n\nPage five reads.\n\nPage 6');
    expect(doc.warnings).toContain('pages 2–4, 6: the text layer cannot be read (fonts without a Unicode map)');
    expect(doc.anchors.filter((a) => a.kind === 'page').map((a) => a.label)).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('leave a page with a few symbols from a font without a map alone', async () => {
    const icons = { content: `${readable('Contact us by phone or by mail, any day of the week.').content} BT /F1 12 Tf 72 600 Td ${glyphs(noMap, [...'ABC'])} Tj ET` };
    const doc = await read('icons.pdf', makeGlyphPdf(noMap, [icons], { helvetica: true }));
    expect(doc.warnings).toEqual([]);
    expect(doc.text).toContain('Contact us by phone');
  });

  it('refuse a document whose every page is unreadable with a clear reason', async () => {
    await expect(extractBytes('garbage.pdf', makeGlyphPdf(noMap, [garbage]))).rejects.toMatchObject({
      code: 'SCANNED',
      message: 'the text layer cannot be read (fonts without a Unicode map); the pages need OCR',
    });
  });
});

describe('page anchors', () => {
  it('stay in page order when the first page is empty', async () => {
    const font: GlyphFont = { alphabet: ['x'] };
    const text = (words: string) => ({ content: `BT /F2 12 Tf 72 700 Td (${words}) Tj ET` });
    const doc = await read('freeculture.pdf', makeGlyphPdf(font, [{ content: '' }, text('Preface'), { content: '' }, text('Chapter one')], { helvetica: true }));
    const pages = doc.anchors.filter((a) => a.kind === 'page');
    expect(pages.map((p) => p.label)).toEqual(['1', '2', '3', '4']);
    expect(pages.map((p) => doc.text.slice(p.start, p.end))).toEqual(['', 'Preface', '', 'Chapter one']);
    expect(pages.map((p) => p.start)).toEqual([...pages.map((p) => p.start)].sort((a, b) => a - b));
  });
});

describe('PDFs from a real producer (Chromium, Skia/PDF)', () => {
  for (const { file, paragraphs, withoutUnicodeMap } of PRODUCER_PDFS) {
    it(`${file} reads as the HTML it was printed from`, { timeout: 60_000 }, async () => {
      const doc = await read(file, readFileSync(join(import.meta.dirname, 'producer-pdfs', file)));
      expect(doc.text.replace(/\s+/g, ' ')).toBe(paragraphs.join(' '));
      if (file.includes('japanese')) expect(doc.text).toBe(paragraphs.join('\n\n'));
      // A font read by glyph id ("7KH" for "The") is found unreadable and the drawn page read by OCR instead.
      expect(doc.warnings).toEqual(withoutUnicodeMap ? [expect.stringMatching(/^page 1 read by OCR \(eng\): mean confidence \d+%$/)] : []);
    });
  }
});

describe('PDF forms, over-printed and stray runs', () => {
  const helvetica: GlyphFont = { alphabet: ['x'] };

  it('reads filled-in form fields in place, after their labels', async () => {
    const content = 'BT /F2 12 Tf 72 700 Td (Name:) Tj ET BT /F2 12 Tf 72 670 Td (Partner:) Tj ET BT /F2 12 Tf 72 640 Td (Signed below.) Tj ET';
    const fields = [
      { name: 'name', value: 'Alice', rect: [140, 695, 320, 715] as [number, number, number, number] },
      { name: 'partner', value: 'Bob', rect: [140, 665, 320, 685] as [number, number, number, number], type: 'Ch' as const },
    ];
    const doc = await read('form.pdf', makeGlyphPdf(helvetica, [{ content, fields }], { helvetica: true }));
    expect(doc.text).toBe('Name: Alice\n\nPartner: Bob\n\nSigned below.');
  });

  it('drops a run drawn twice at (nearly) the same place for fake bold', async () => {
    const font: GlyphFont = { alphabet: [...'微软公司的'] };
    const g = glyphs(font, [...'微软公司的']);
    const content = `BT /F1 12 Tf 72 700 Td ${g} Tj ET BT /F1 12 Tf 72.4 700.2 Td ${g} Tj ET BT /F1 12 Tf 72 680 Td ${g} Tj ET`;
    const doc = await read('bold.pdf', makeGlyphPdf(font, [{ content }]));
    // The third drawing is a line of its own, 20 pt lower: kept.
    expect(doc.text).toBe('微软公司的微软公司的');
    expect(doc.text).not.toContain('微软公司的微软公司的微软公司的');
  });

  // py-pdf sample-files' 015-arabic/habibi*.pdf: the run is glued to the Arabic word (a control code between them)
  // and a modifier letter to the Latin transliteration.
  it('leaves out a stray run glued to an Arabic word, and keeps Greek where Greek outnumbers Arabic', () => {
    const line = (text: string) => ({ text, y: 700, size: 12 });
    const habibi = dropStrayRuns([line('يبيبَح\u0003ϲΒϴΒ ˴habibi يبيبَح')]);
    expect(habibi.lines.map((l) => l.text)).toEqual(['يبيبَح\u0003 habibi يبيبَح']);
    expect(habibi.dropped).toBe(2);
    const greek = [line('Η ελληνική γλώσσα ˴α και مرحبا')];
    expect(dropStrayRuns(greek)).toEqual({ lines: greek, dropped: 0 });
  });

  it('leaves out runs of stray Greek letters in Arabic text, with a warning', async () => {
    const words = ['مرحبا', 'بالعالم', 'ϲΒϴΒ', '˴', 'والسلام'];
    // pdf.js reverses a right-to-left glyph's text into logical order: the map holds it as drawn.
    const font: GlyphFont = { alphabet: words, unicode: words.map((w) => (/\p{Script=Arabic}/u.test(w) ? [...w].reverse().join('') : w)) };
    // Right to left: the first word is drawn rightmost.
    const content = words.map((w, i) => `BT /F1 12 Tf ${480 - i * 60} 700 Td ${glyphs(font, [w])} Tj ET`).join(' ');
    const doc = await read('arabic.pdf', makeGlyphPdf(font, [{ content }]));
    expect(doc.text).toBe('مرحبا بالعالم والسلام');
    expect(doc.warnings).toEqual([expect.stringContaining('stray Greek letters')]);
  });
});

