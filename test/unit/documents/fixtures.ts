import { createCipheriv, createHash } from 'node:crypto';
import { zipSync, type Zippable } from 'fflate';
// The product's RC4: what it encrypts here, pdf.js (the tests' reader) decrypts with its own.
import { rc4 } from '../../../electron/node/documents/pdf-crypt.ts';

// Fixture writers for the document tests and the extraction benchmark: a minimal PDF writer (text pages,
// page labels, image-only pages, RC4 encryption), and EPUB/DOCX packages built with fflate.

export interface PdfPage {
  // Paragraphs of lines; paragraphs are separated by a blank line on the page.
  paragraphs?: string[][];
  image?: boolean;
  // A scanned page: this JPEG drawn over the whole page, and no text layer.
  scan?: { jpeg: Uint8Array; width: number; height: number };
}

export interface PdfOptions {
  title?: string;
  // /PageLabels /Nums entries: [first page index, style (D, r, R, a, A), prefix?, start?]
  labels?: Array<[number, string, string?, number?]>;
  userPassword?: string;
  // The owner password of an encrypted PDF ("owner" unless given).
  ownerPassword?: string;
  // The security handler's revision: 2 (40-bit RC4, the default), 3 (128-bit RC4) or 4 (AES-128).
  revision?: 2 | 3 | 4;
  // Leave /ID out of the trailer (the key is then derived from an empty file identifier).
  noId?: boolean;
}

const enc = (s: string) => Buffer.from(s, 'latin1');

const PASSWORD_PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');
const md5 = (...parts: Buffer[]) => createHash('md5').update(Buffer.concat(parts)).digest();
const pad = (password: string) => Buffer.concat([enc(password), PASSWORD_PAD]).subarray(0, 32);

function escapePdfString(s: Buffer): string {
  return s.toString('latin1').replace(/[\\()]/g, (c) => `\\${c}`);
}

// Standard security handler: revision 2 (40-bit RC4), the one every reader supports, revision 3 (128-bit
// RC4, the key hashed 50 times and each RC4 pass repeated with 19 derived keys), or revision 4 with AES-128
// (AESV2: revision 3's key, a per-object key salted with "sAlT", AES-CBC with the IV before the data).
export function security(userPassword: string, id: Buffer, ownerPassword = 'owner', revision: 2 | 3 | 4 = 2) {
  const n = revision === 2 ? 5 : 16;
  const stretch = (hash: Buffer) => {
    if (revision >= 3) for (let i = 0; i < 50; i++) hash = md5(hash.subarray(0, n));
    return hash.subarray(0, n);
  };
  const passes = (key: Buffer, data: Buffer) => {
    let out = rc4(key, data);
    if (revision >= 3) for (let i = 1; i <= 19; i++) out = rc4(Buffer.from(key.map((b) => b ^ i)), out);
    return out;
  };
  const O = passes(stretch(md5(pad(ownerPassword))), pad(userPassword));
  const P = Buffer.alloc(4);
  P.writeInt32LE(-4);
  const key = stretch(md5(pad(userPassword), O, P, id));
  const U = revision === 2 ? rc4(key, PASSWORD_PAD) : Buffer.concat([passes(key, md5(PASSWORD_PAD, id)), Buffer.alloc(16)]);
  const objectKey = (num: number) => {
    const extra = Buffer.from([num & 255, (num >> 8) & 255, (num >> 16) & 255, 0, 0]);
    return md5(key, extra, revision === 4 ? Buffer.from('sAlT') : Buffer.alloc(0)).subarray(0, Math.min(n + 5, 16));
  };
  const dict =
    revision === 2 ? '/V 1 /R 2 /Length 40' : revision === 3 ? '/V 2 /R 3 /Length 128' : '/V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /Length 16 >> >> /StmF /StdCF /StrF /StdCF';
  const aes = (num: number, data: Buffer) => {
    const iv = md5(Buffer.from(String(num))).subarray(0, 16);
    const cipher = createCipheriv('aes-128-cbc', objectKey(num), iv);
    return Buffer.concat([iv, cipher.update(data), cipher.final()]);
  };
  return { O, U, dict, encrypt: revision === 4 ? aes : (num: number, data: Buffer) => rc4(objectKey(num), data) };
}

export function makePdf(pages: PdfPage[], options: PdfOptions = {}): Uint8Array {
  const objects: Array<(encrypt: (num: number, data: Buffer) => Buffer) => Buffer> = [];
  const add = (make: (num: number, encrypt: (num: number, data: Buffer) => Buffer) => Buffer) => {
    const num = objects.length + 1;
    objects.push((encrypt) => make(num, encrypt));
    return num;
  };
  const stream = (dict: string, data: Buffer) => (num: number, encrypt: (n: number, d: Buffer) => Buffer) => {
    const body = encrypt(num, data);
    return Buffer.concat([enc(`<< ${dict} /Length ${body.length} >>\nstream\n`), body, enc('\nendstream')]);
  };
  const catalog = add(() => Buffer.alloc(0));
  const pagesNum = add(() => Buffer.alloc(0));
  const font = add(() => enc('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'));
  const image = add(stream('/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8', Buffer.alloc(64, 128)));
  const kids: number[] = [];
  for (const page of pages) {
    let content = '';
    if (page.image) content += 'q 400 0 0 400 100 200 cm /Im1 Do Q\n';
    const scan = page.scan && add(stream(`/Type /XObject /Subtype /Image /Width ${page.scan.width} /Height ${page.scan.height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode`, Buffer.from(page.scan.jpeg)));
    if (scan) content += 'q 612 0 0 792 0 0 cm /Scan Do Q\n';
    if (page.paragraphs?.length) {
      content += 'BT /F1 12 Tf 14 TL 72 740 Td\n';
      page.paragraphs.forEach((lines, i) => {
        if (i > 0) content += 'T*\n';
        for (const line of lines) content += `(${escapePdfString(enc(line))}) Tj T*\n`;
      });
      content += 'ET\n';
    }
    const contents = add(stream('', enc(content)));
    kids.push(
      add(() =>
        enc(`<< /Type /Page /Parent ${pagesNum} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> /XObject << /Im1 ${image} 0 R${scan ? ` /Scan ${scan} 0 R` : ''} >> >> /Contents ${contents} 0 R >>`),
      ),
    );
  }
  const info = add((num, encrypt) => enc(options.title ? `<< /Title (${escapePdfString(encrypt(num, enc(options.title)))}) >>` : '<< >>'));
  objects[pagesNum - 1] = () => enc(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`);
  const labels = options.labels
    ?.map(([first, style, prefix, start]) => `${first} << /S /${style}${prefix ? ` /P (${prefix})` : ''}${start ? ` /St ${start}` : ''} >>`)
    .join(' ');
  objects[catalog - 1] = () => enc(`<< /Type /Catalog /Pages ${pagesNum} 0 R${labels ? ` /PageLabels << /Nums [${labels}] >>` : ''} >>`);

  const id = options.noId ? Buffer.alloc(0) : createHash('md5').update(JSON.stringify(pages)).digest();
  let encryptRef = '';
  let encrypt = (_num: number, data: Buffer) => data;
  if (options.userPassword !== undefined) {
    const sec = security(options.userPassword, id, options.ownerPassword, options.revision);
    encrypt = sec.encrypt;
    const dict = add(() => enc(`<< /Filter /Standard ${sec.dict} /O <${sec.O.toString('hex')}> /U <${sec.U.toString('hex')}> /P -4 >>`));
    encryptRef = ` /Encrypt ${dict} 0 R`;
  }
  const chunks: Buffer[] = [enc('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')];
  let length = chunks[0].length;
  const offsets: number[] = [];
  objects.forEach((make, i) => {
    offsets.push(length);
    // The encryption dictionary itself is never encrypted.
    const body = make(encryptRef && i === objects.length - 1 ? (_n, d) => d : encrypt);
    const chunk = Buffer.concat([enc(`${i + 1} 0 obj\n`), body, enc('\nendobj\n')]);
    chunks.push(chunk);
    length += chunk.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  chunks.push(
    enc(`${xref}trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R /Info ${info} 0 R${options.noId ? '' : ` /ID [<${id.toString('hex')}> <${id.toString('hex')}>]`}${encryptRef} >>\nstartxref\n${length}\n%%EOF\n`),
  );
  return new Uint8Array(Buffer.concat(chunks));
}

const utf8 = (s: string) => new TextEncoder().encode(s);

export interface EpubChapter {
  file: string;
  title?: string;
  body: string;
  // Further table-of-contents entries pointing into this file at an element id: [fragment, label].
  entries?: Array<[string, string]>;
  // The chapter file's bytes as they are, for files that are not valid UTF-8.
  raw?: Uint8Array;
  // The chapter's <title> (the file name when absent).
  pageTitle?: string;
}

// Chapters are listed in the manifest in file order but the spine reverses the first two, so a reader that
// follows file order instead of the spine gets the book wrong.
export function makeEpub(
  chapters: EpubChapter[],
  {
    title = 'A Book',
    version = 3,
    spine,
    navInSpine,
  }: { title?: string; version?: 2 | 3; spine?: string[]; navInSpine?: 'linear' | 'non-linear' } = {},
): Uint8Array {
  const order = spine ?? chapters.map((c) => c.file);
  const xhtml = (c: EpubChapter) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head><title>${c.pageTitle ?? c.file}</title></head><body>${c.body}</body></html>`;
  const files: Zippable = {
    mimetype: [utf8('application/epub+zip'), { level: 0 }],
    'META-INF/container.xml': utf8(
      '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
    ),
  };
  const manifest = chapters.map((c, i) => `<item id="c${i}" href="${c.file}" media-type="application/xhtml+xml"/>`);
  const idOf = (file: string) => `c${chapters.findIndex((c) => c.file === file)}`;
  const navRef = navInSpine && version === 3 ? `<itemref idref="nav"${navInSpine === 'non-linear' ? ' linear="no"' : ''}/>` : '';
  const itemrefs = navRef + order.map((file) => `<itemref idref="${idOf(file)}"/>`).join('');
  const toc = order
    .map((file) => chapters.find((c) => c.file === file)!)
    .flatMap((c) => [...(c.title ? [{ href: c.file, title: c.title }] : []), ...(c.entries ?? []).map(([id, title]) => ({ href: `${c.file}#${id}`, title }))]);
  if (version === 3) {
    manifest.push('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>');
    files['OEBPS/nav.xhtml'] = utf8(
      `<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head><title>Nav</title></head><body><nav epub:type="toc"><ol>${toc
        .map((c) => `<li><a href="${c.href}">${c.title}</a></li>`)
        .join('')}</ol></nav></body></html>`,
    );
  } else {
    manifest.push('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>');
    files['OEBPS/toc.ncx'] = utf8(
      `<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><navMap>${toc
        .map((c, i) => `<navPoint id="n${i}" playOrder="${i + 1}"><navLabel><text>${c.title}</text></navLabel><content src="${c.href}"/></navPoint>`)
        .join('')}</navMap></ncx>`,
    );
  }
  files['OEBPS/content.opf'] = utf8(
    `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="${version}.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${title}</dc:title><dc:identifier id="id">x</dc:identifier></metadata><manifest>${manifest.join('')}</manifest><spine${version === 2 ? ' toc="ncx"' : ''}>${itemrefs}</spine></package>`,
  );
  for (const c of chapters) files[`OEBPS/${c.file}`] = c.raw ?? utf8(xhtml(c));
  return zipSync(files);
}

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';

export function docxParagraph(text: string, style?: string): string {
  return `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;
}

export function makeDocx(
  bodyXml: string,
  {
    title,
    footnotes = {},
    documentXml,
    comments,
    chunks = [],
  }: {
    title?: string;
    footnotes?: Record<string, string>;
    documentXml?: string;
    comments?: Array<{ id: string; author: string; paragraphs: string[] }>;
    // Embedded parts the body places with <w:altChunk r:id="…"/>: word/<name>, typed by an Override.
    chunks?: Array<{ id: string; name: string; contentType: string; data: string | Uint8Array }>;
  } = {},
): Uint8Array {
  const files: Zippable = {
    '[Content_Types].xml': utf8(
      `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>${chunks
        .map((c) => `<Override PartName="/word/${c.name}" ContentType="${c.contentType}"/>`)
        .join('')}</Types>`,
    ),
    '_rels/.rels': utf8(
      '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    'word/_rels/document.xml.rels': utf8(
      `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>${
        comments ? '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="comments.xml"/>' : ''
      }${chunks.map((c) => `<Relationship Id="${c.id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk" Target="${c.name}"/>`).join('')}</Relationships>`,
    ),
    'word/styles.xml': utf8(
      `<?xml version="1.0"?><w:styles ${W}><w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style><w:style w:type="paragraph" w:styleId="Chapter"><w:name w:val="Chapter Head"/><w:basedOn w:val="Heading1"/></w:style></w:styles>`,
    ),
    'word/footnotes.xml': utf8(
      `<?xml version="1.0"?><w:footnotes ${W}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>${Object.entries(footnotes)
        .map(([id, text]) => `<w:footnote w:id="${id}"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> ${text}</w:t></w:r></w:p></w:footnote>`)
        .join('')}</w:footnotes>`,
    ),
    'word/document.xml': utf8(documentXml ?? `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${W}><w:body>${bodyXml}<w:sectPr/></w:body></w:document>`),
  };
  for (const c of chunks) files[`word/${c.name}`] = typeof c.data === 'string' ? utf8(c.data) : c.data;
  if (comments) {
    files['word/comments.xml'] = utf8(
      `<?xml version="1.0"?><w:comments ${W}>${comments
        .map(
          (c) =>
            `<w:comment w:id="${c.id}" w:author="${c.author}" w:date="2026-01-01T00:00:00Z">${c.paragraphs
              // A paragraph given as XML (a table, which Word allows in a comment) is written as it is.
              .map((t, i) => (t.startsWith('<w:') ? t : `<w:p>${i === 0 ? '<w:r><w:annotationRef/></w:r>' : ''}<w:r><w:t>${t}</w:t></w:r></w:p>`))
              .join('')}</w:comment>`,
        )
        .join('')}</w:comments>`,
    );
  }
  if (title) {
    files['docProps/core.xml'] = utf8(
      `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${title}</dc:title></cp:coreProperties>`,
    );
  }
  return zipSync(files);
}
