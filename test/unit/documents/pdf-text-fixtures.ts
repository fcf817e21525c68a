// PDFs whose text layer is written glyph by glyph, for the text-layer tests: a CID font (Identity-H, or
// Identity-V for vertical writing) whose ToUnicode map gives each glyph id the text the test chooses, or no
// map at all (the garbage a font without Unicode mapping gives). No font program is embedded: pdf.js reads
// text through the ToUnicode map alone.
import { deflateSync } from 'node:zlib';

const enc = (s: string) => Buffer.from(s, 'latin1');
const hex4 = (n: number) => n.toString(16).padStart(4, '0').toUpperCase();

export interface GlyphFont {
  // Glyph id n + 1 is written for alphabet[n]; its ToUnicode entry is unicode[n] (alphabet[n] unless given).
  alphabet: string[];
  unicode?: string[];
  vertical?: boolean;
  toUnicode?: boolean;
}

export interface GlyphPage {
  // Content-stream operators; `glyphs(font, text)` writes a hex string of the font's glyph ids.
  content: string;
  // Form fields (AcroForm widgets) on the page: a text field, or a choice field, with its value (/V) if given.
  fields?: Array<{ name: string; value?: string; rect: [number, number, number, number]; type?: 'Tx' | 'Ch' }>;
}

// An XFA form's packets, written deflated as producers write them: the datasets packet alone in the /XFA array
// beside a template stub, or (`xdp`) the whole XDP document as one stream. A form without fields is a dynamic
// one (/NeedsRendering true): its pages are only what a viewer without XFA shows.
export interface XfaPackets {
  datasets: string;
  xdp?: boolean;
}

export function glyphs(font: GlyphFont, text: string[]): string {
  return `<${text.map((t) => {
    const i = font.alphabet.indexOf(t);
    if (i < 0) throw new Error(`no glyph for ${t}`);
    return hex4(i + 1);
  }).join('')}>`;
}

function toUnicodeCMap(font: GlyphFont): string {
  const entries = font.alphabet.map((a, i) => {
    const u = font.unicode?.[i] ?? a;
    return `<${hex4(i + 1)}> <${[...u].map((c) => Buffer.from(c, 'utf16le').swap16().toString('hex')).join('')}>`;
  });
  return [
    '/CIDInit /ProcSet findresource begin 12 dict begin begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def /CMapName /Quire-UCS def /CMapType 2 def',
    '1 begincodespacerange <0000> <FFFF> endcodespacerange',
    `${entries.length} beginbfchar`,
    ...entries,
    'endbfchar endcmap CMapName currentdict /CMap defineresource pop end end',
  ].join('\n');
}

// A one-font PDF: the font is /F1 on every page, at 1000 units per em with every glyph 500 wide.
export function makeGlyphPdf(font: GlyphFont, pages: GlyphPage[], { helvetica = false, xfa }: { helvetica?: boolean; xfa?: XfaPackets } = {}): Uint8Array {
  const objects: Buffer[] = [];
  const add = (body: string | Buffer) => objects.push(typeof body === 'string' ? enc(body) : body);
  const stream = (data: Buffer) => Buffer.concat([enc(`<< /Length ${data.length} >>\nstream\n`), data, enc('\nendstream')]);
  const deflated = (text: string) => {
    const data = deflateSync(Buffer.from(text, 'utf8'));
    return Buffer.concat([enc(`<< /Length ${data.length} /Filter /FlateDecode >>\nstream\n`), data, enc('\nendstream')]);
  };
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(''); // 2: the page tree, written once the pages are numbered
  add('<< /Type /FontDescriptor /FontName /QuireGlyphs /Flags 4 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>');
  add(`<< /Type /Font /Subtype /CIDFontType2 /BaseFont /QuireGlyphs /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 3 0 R /DW 500${font.vertical ? ' /DW2 [880 -1000]' : ''} >>`);
  add(stream(enc(toUnicodeCMap(font))));
  add(`<< /Type /Font /Subtype /Type0 /BaseFont /QuireGlyphs /Encoding /Identity-${font.vertical ? 'V' : 'H'} /DescendantFonts [4 0 R]${font.toUnicode === false ? '' : ' /ToUnicode 5 0 R'} >>`);
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  const fields: number[] = [];
  for (const page of pages) {
    const annots = (page.fields ?? []).map((f) => {
      add(`<< /Type /Annot /Subtype /Widget /FT /${f.type ?? 'Tx'} /T (${f.name})${f.value === undefined ? '' : ` /V (${f.value})`} /Rect [${f.rect.join(' ')}] /F 4 /DA (/F2 10 Tf 0 g) >>`);
      fields.push(objects.length);
      return objects.length;
    });
    add(stream(Buffer.from(page.content, 'latin1')));
    const contents = objects.length;
    add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 6 0 R${helvetica ? ' /F2 7 0 R' : ''} >> >> /Contents ${contents} 0 R${annots.length ? ` /Annots [${annots.map((a) => `${a} 0 R`).join(' ')}]` : ''} >>`);
    kids.push(objects.length);
  }
  let xfaEntry = '';
  if (xfa?.xdp) {
    add(deflated(`<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"/>${xfa.datasets.replace(/^<\?xml[^>]*\?>\s*/, '')}</xdp:xdp>`));
    xfaEntry = ` /XFA ${objects.length} 0 R`;
  } else if (xfa) {
    add(deflated('<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"/>'));
    add(deflated(xfa.datasets));
    xfaEntry = ` /XFA [(template) ${objects.length - 1} 0 R (datasets) ${objects.length} 0 R]`;
  }
  if (fields.length || xfa) {
    const dynamic = xfa && !fields.length ? ' /NeedsRendering true' : '';
    objects[0] = enc(`<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [${fields.map((f) => `${f} 0 R`).join(' ')}] /DA (/F2 0 Tf 0 g)${xfaEntry} >>${dynamic} >>`);
  }
  objects[1] = enc(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`);
  const chunks = [enc('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')];
  let length = chunks[0].length;
  const offsets = objects.map((body, i) => {
    const at = length;
    const chunk = Buffer.concat([enc(`${i + 1} 0 obj\n`), body, enc('\nendobj\n')]);
    chunks.push(chunk);
    length += chunk.length;
    return at;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  chunks.push(enc(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`));
  return new Uint8Array(Buffer.concat(chunks));
}
