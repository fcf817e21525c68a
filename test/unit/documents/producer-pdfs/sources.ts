// PDFs written by a real producer — Chromium's print to PDF (Skia/PDF), with DejaVu Sans embedded (its licence
// allows that) — from the HTML below, so that what each must read as is the HTML's own text. Chromium draws
// Arabic glyph by glyph in visual order, in presentation forms with lam-alef ligatures, and tracking (CSS
// letter-spacing) as character spacing with kerned pairs. Regenerate with
//   node_modules/.bin/node test/unit/documents/producer-pdfs/sources.ts [one file]
// (needs /usr/bin/chromium, fonts-dejavu-core and fonts-ipafont-gothic).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProducerPdf {
  file: string;
  html: string;
  // The paragraphs of the HTML, as the text must give them.
  paragraphs: string[];
  // Written without its fonts' ToUnicode maps (the key renamed, so every offset stays right): a real font read by
  // glyph id, whose text only OCR of the drawn page gives back.
  withoutUnicodeMap?: true;
}

const page = (body: string, attributes = '') => `<html${attributes}><body style="font-family:'DejaVu Sans';font-size:16px">${body}</body></html>`;

export const PRODUCER_PDFS: ProducerPdf[] = [
  {
    file: 'arabic.pdf',
    html: page(
      `<h1>مرحبا بالعالم</h1>
<p>السلام عليكم ورحمة الله. هذا نص عربي لاختبار ترتيب الكلمات، وفيه كلمة PDF وعدد 2024.</p>
<p>لا إله إلا الله. الكتاب على الطاولة.</p>`,
      ' lang="ar" dir="rtl"',
    ),
    paragraphs: ['مرحبا بالعالم', 'السلام عليكم ورحمة الله. هذا نص عربي لاختبار ترتيب الكلمات، وفيه كلمة PDF وعدد 2024.', 'لا إله إلا الله. الكتاب على الطاولة.'],
  },
  {
    file: 'letter-spaced.pdf',
    html: page(`<p style="letter-spacing:0.15em">APL Co. Pte Ltd, 9 Temasek Boulevard</p>
<p style="letter-spacing:0.3em">ANNUAL REPORT 2024</p>
<p>Ordinary text follows the spaced lines.</p>`),
    paragraphs: ['APL Co. Pte Ltd, 9 Temasek Boulevard', 'ANNUAL REPORT 2024', 'Ordinary text follows the spaced lines.'],
  },
  {
    // Natsume Sōseki's opening lines (public domain), set top to bottom in columns right to left, IPAGothic
    // embedded (the IPA Font License allows that): Chromium draws each glyph as a line of its own.
    file: 'vertical-japanese.pdf',
    html: `<html lang="ja"><body style="font-family:'IPAGothic';font-size:16px;writing-mode:vertical-rl;height:300px">
<p>吾輩は猫である。名前はまだ無い。</p>
<p>どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。</p></body></html>`,
    paragraphs: ['吾輩は猫である。名前はまだ無い。', 'どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。'],
  },
  {
    file: 'no-unicode-map.pdf',
    html: page('<h1>The lighthouse keeper</h1><p>The lamp was replaced in the spring of 1898 by the new keeper, who wrote every storm into the log.</p><p>Ships passed the rocks at night and the bell rang twice.</p>'),
    paragraphs: ['The lighthouse keeper', 'The lamp was replaced in the spring of 1898 by the new keeper, who wrote every storm into the log.', 'Ships passed the rocks at night and the bell rang twice.'],
    withoutUnicodeMap: true,
  },
];

// Renames each /ToUnicode key to a key of the same length no reader knows.
const withoutUnicodeMaps = (pdf: Buffer) => Buffer.from(pdf.toString('latin1').replace(/\/ToUnicode/g, '/XoUnicode'), 'latin1');

if (import.meta.main) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const tab = await browser.newPage();
  const only = process.argv[2];
  for (const { file, html, withoutUnicodeMap } of PRODUCER_PDFS) {
    if (only && file !== only) continue;
    await tab.setContent(html);
    const pdf = await tab.pdf({ format: 'A5' });
    writeFileSync(join(import.meta.dirname, file), withoutUnicodeMap ? withoutUnicodeMaps(pdf) : pdf);
  }
  await browser.close();
}
