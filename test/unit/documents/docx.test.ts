import { describe, expect, it } from 'vitest';
import { DocumentModelSchema, type DocumentModel } from '../../../electron/common/document.ts';
import { extractBytes } from '../../../electron/node/documents/extract.ts';
import { docxParagraph, makeDocx } from './fixtures.ts';

async function extract(name: string, bytes: Uint8Array): Promise<DocumentModel> {
  return DocumentModelSchema.parse(await extractBytes(name, bytes));
}

const slice = (doc: DocumentModel, a: { start: number; end: number }) => doc.text.slice(a.start, a.end);
const p = (text: string) => docxParagraph(text);
const cell = (...paragraphs: string[]) => `<w:tc><w:tcPr><w:tcW w:w="2000"/></w:tcPr>${paragraphs.map(p).join('')}</w:tc>`;
const row = (...cells: string[]) => `<w:tr>${cells.join('')}</w:tr>`;
const table = (...rows: string[]) => `<w:tbl><w:tblPr/>${rows.join('')}</w:tbl>`;
const sdt = (content: string, alias = 'Control') => `<w:sdt><w:sdtPr><w:alias w:val="${alias}"/><w:showingPlcHdr/></w:sdtPr><w:sdtContent>${content}</w:sdtContent></w:sdt>`;

describe('DOCX tables and content controls', () => {
  it('separates the paragraphs of a table cell instead of gluing them', async () => {
    const body = [
      table(row(cell('Gross Income', 'Standard Rate Band'), cell('€35,300', 'per year')), row(cell('Tax'), cell('20%'))),
      // A one-cell layout table (letterheads, cover blocks) keeps its paragraphs as paragraphs.
      table(row(cell('BRASIL', 'MINISTÉRIO DA SAÚDE'))),
    ].join('');
    const doc = await extract('tax.docx', makeDocx(body));
    expect(doc.text).toBe('Gross Income Standard Rate Band | €35,300 per year\nTax | 20%\n\nBRASIL\n\nMINISTÉRIO DA SAÚDE');
  });

  it('keeps text in content controls around rows, cells and paragraphs (a cover page is not EMPTY)', async () => {
    const textbox = (text: string) =>
      `<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent>${p(text)}</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>${p(text)}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>`;
    const cover = sdt(
      table(
        row(sdt(cell('Annual Review'), 'Title')),
        sdt(row(`<w:tc>${sdt(p('Fiscal year 2025'), 'Subtitle')}</w:tc>`)),
        row(cell('Prepared by'), sdt(cell('Finance Office'), 'Author')),
      ) + textbox('Confidential draft'),
      'Cover Page',
    );
    const doc = await extract('cover.docx', makeDocx(cover));
    expect(doc.text).toBe('Annual Review\n\nFiscal year 2025\n\nPrepared by | Finance Office\n\nConfidential draft');
  });

  it('refuses a document whose only content is empty tables as EMPTY, and keeps empty cells in their column', async () => {
    const empty = table(row(cell(''), cell('')), row(cell(''), cell('')));
    await expect(extractBytes('blank-form.docx', makeDocx(empty + p('')))).rejects.toMatchObject({ code: 'EMPTY' });
    const doc = await extract('sparse.docx', makeDocx(table(row(cell('a'), cell(''), cell('c')), row(cell(''), cell(''), cell('')))));
    expect(doc.text).toBe('a | | c');
  });
});

describe('DOCX tracked changes', () => {
  // pandoc's test/docx/track_changes_move.docx moves a paragraph: Word shows it once, where it was moved to.
  it('reads moved text once, at its destination, as Word shows the document with its changes accepted', async () => {
    const revision = 'w:author="A" w:date="2024-01-01T00:00:00Z"';
    const body = [
      `<w:p><w:moveFrom w:id="1" ${revision}><w:r><w:t>Moved sentence.</w:t></w:r></w:moveFrom></w:p>`,
      p('Middle.'),
      `<w:p><w:moveTo w:id="2" ${revision}><w:r><w:t>Moved sentence.</w:t></w:r></w:moveTo></w:p>`,
    ].join('');
    const doc = await extract('moved.docx', makeDocx(body));
    expect(doc.text).toBe('Middle.\n\nMoved sentence.');
  });
});

describe('DOCX drop caps', () => {
  // pandoc's test/docx/drop_cap.docx: Word draws a drop cap as a framed paragraph of its own, holding the first letter.
  it('joins a drop cap to the word it begins', async () => {
    const body = `<w:p><w:pPr><w:framePr w:dropCap="drop" w:lines="3" w:wrap="around"/></w:pPr><w:r><w:t>D</w:t></w:r></w:p>${p('rop caps are big.')}${p('Next.')}`;
    const doc = await extract('dropcap.docx', makeDocx(body));
    expect(doc.text).toBe('Drop caps are big.\n\nNext.');
  });
});

describe('DOCX comments', () => {
  const comments = [
    { id: '0', author: 'Jane Roe', paragraphs: ['Confirm with the client.'] },
    { id: '1', author: 'Counsel', paragraphs: ['Objection noted.', 'See exhibit 4.'] },
    { id: '2', author: 'Jane Roe', paragraphs: ['Why?'] },
    { id: '3', author: 'Clerk', paragraphs: ['Table checked.'] },
  ];
  const body = [
    '<w:p><w:r><w:t xml:space="preserve">The term is </w:t></w:r><w:commentRangeStart w:id="0"/><w:r><w:t>five years</w:t></w:r><w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r><w:r><w:t>.</w:t></w:r></w:p>',
    '<w:p><w:commentRangeStart w:id="1"/><w:r><w:t>Q. Were you there?</w:t></w:r></w:p>',
    '<w:p><w:r><w:t>A. I was.</w:t></w:r><w:commentRangeEnd w:id="1"/><w:r><w:commentReference w:id="1"/></w:r></w:p>',
    '<w:p><w:r><w:t xml:space="preserve">A point comment</w:t></w:r><w:r><w:commentReference w:id="2"/></w:r><w:r><w:t xml:space="preserve"> here.</w:t></w:r></w:p>',
    table(row(`<w:tc><w:p><w:commentRangeStart w:id="3"/><w:r><w:t>Total</w:t></w:r><w:commentRangeEnd w:id="3"/><w:r><w:commentReference w:id="3"/></w:r></w:p></w:tc>`, cell('42'))),
  ].join('');

  it('puts each comment after the text it comments on, marked, with a comment anchor over both', async () => {
    const doc = await extract('deposition.docx', makeDocx(body, { comments }));
    expect(doc.text).toBe(
      [
        'The term is five years [Comment by Jane Roe: Confirm with the client.].',
        'Q. Were you there?',
        'A. I was. [Comment by Counsel: Objection noted. See exhibit 4.]',
        'A point comment [Comment by Jane Roe: Why?] here.',
        'Total [Comment by Clerk: Table checked.] | 42',
      ].join('\n\n'),
    );
    const anchors = doc.anchors.filter((a) => a.kind === 'comment');
    expect(anchors.map((a) => a.label)).toEqual(['Comment by Jane Roe', 'Comment by Counsel', 'Comment by Jane Roe', 'Comment by Clerk']);
    expect(anchors.map((a) => slice(doc, a))).toEqual([
      'five years [Comment by Jane Roe: Confirm with the client.]',
      'Q. Were you there?\n\nA. I was. [Comment by Counsel: Objection noted. See exhibit 4.]',
      '[Comment by Jane Roe: Why?]',
      'Total [Comment by Clerk: Table checked.]',
    ]);
  });

  // pandoc's test/docx/comments_warning.docx holds a table in a comment, which was left out.
  it("reads a table in a comment, its cells' paragraphs in order", async () => {
    const withTable = [{ id: '0', author: 'Ann', paragraphs: ['Here is a table:', table(row(cell('XYZ'), cell('123', '456')))] }];
    const doc = await extract('table-comment.docx', makeDocx('<w:p><w:r><w:t>Text</w:t></w:r><w:r><w:commentReference w:id="0"/></w:r></w:p>', { comments: withTable }));
    expect(doc.text).toBe('Text [Comment by Ann: Here is a table: XYZ 123 456]');
  });

  it('still reads a document that has comments.xml but no reference to a comment (none are invented)', async () => {
    const doc = await extract('plain.docx', makeDocx(p('Nothing commented.'), { comments }));
    expect(doc.text).toBe('Nothing commented.');
    expect(doc.anchors.filter((a) => a.kind === 'comment')).toEqual([]);
  });
});

describe('DOCX text boxes, embedded HTML and equations', () => {
  const textbox = (...paragraphs: string[]) =>
    `<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent>${paragraphs.map(p).join('')}</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>${paragraphs.map(p).join('')}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>`;

  it("keeps a text box's paragraphs apart from each other and from the paragraph it is anchored in", async () => {
    const body = [
      `<w:p><w:r><w:t>2017</w:t></w:r>${textbox('Using Microsoft Word')}</w:p>`,
      `<w:p>${textbox('This is the Author', 'This is an engaging title page')}</w:p>`,
      p('Body text.'),
    ].join('');
    const doc = await extract('title-page.docx', makeDocx(body));
    expect(doc.text).toBe('2017\n\nUsing Microsoft Word\n\nThis is the Author\n\nThis is an engaging title page\n\nBody text.');
  });

  it('reads a body that is an embedded HTML or plain-text part (altChunk) instead of refusing it as EMPTY', async () => {
    const html = '<html><head><meta charset="utf-8"><title>t</title></head><body><h1>Quarterly memo</h1><p>Sales grew by 4 %.</p></body></html>';
    const doc = await extract(
      'chunk.docx',
      makeDocx('<w:altChunk r:id="rIdHtml"/><w:altChunk r:id="rIdText"/>', {
        chunks: [
          { id: 'rIdHtml', name: 'afchunk.htm', contentType: 'text/html', data: html },
          { id: 'rIdText', name: 'afchunk.txt', contentType: 'text/plain', data: 'A plain postscript.' },
        ],
      }),
    );
    expect(doc.text).toBe('Quarterly memo\n\nSales grew by 4 %.\n\nA plain postscript.');
    expect(doc.anchors).toEqual([{ kind: 'heading', label: 'Quarterly memo', start: 0, end: doc.chars }]);
  });

  it('reads an RTF altChunk: its paragraphs, escapes and Unicode, not its font table or field codes', async () => {
    // As Word writes RTF: a font table, \\'hh bytes of the ANSI code page, \\u with a fallback, a field.
    const rtf = String.raw`{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}{\*\generator Writer;}\f0\fs24 Caf\'e9 au lait\par Price: 5\u8364?\par {\field{\*\fldinst HYPERLINK "x"}{\fldrslt see the menu}}\par}`;
    const doc = await extract('rtf.docx', makeDocx('<w:altChunk r:id="rIdRtf"/>', { chunks: [{ id: 'rIdRtf', name: 'afchunk.rtf', contentType: 'application/rtf', data: rtf }] }));
    expect(doc.text).toBe('Café au lait\n\nPrice: 5€\n\nsee the menu');
  });

  it('writes Word equations in linear form, not with their exponents flattened into the base', async () => {
    const r = (t: string) => `<m:r><m:t>${t}</m:t></m:r>`;
    const sup = (base: string, exponent: string) => `<m:sSup><m:e>${r(base)}</m:e><m:sup>${r(exponent)}</m:sup></m:sSup>`;
    const pythagoras = `<m:oMath>${sup('a', '2')}${r('+')}${sup('b', '2')}${r('=')}${sup('c', '2')}</m:oMath>`;
    const fraction = `<m:oMath>${r('x=')}<m:f><m:num>${r('-b±')}<m:rad><m:radPr><m:degHide m:val="1"/></m:radPr><m:deg/><m:e>${sup('b', '2')}${r('-4ac')}</m:e></m:rad></m:num><m:den>${r('2a')}</m:den></m:f></m:oMath>`;
    const sum = `<m:oMath><m:nary><m:naryPr><m:chr m:val="∑"/></m:naryPr><m:sub>${r('i=1')}</m:sub><m:sup>${r('n')}</m:sup><m:e><m:sSub><m:e>${r('x')}</m:e><m:sub>${r('i')}</m:sub></m:sSub></m:e></m:nary></m:oMath>`;
    const body = `<w:p><w:r><w:t xml:space="preserve">Since </w:t></w:r>${pythagoras}<w:r><w:t xml:space="preserve">, we have</w:t></w:r></w:p><w:p>${fraction}</w:p><w:p>${sum}</w:p>`;
    const doc = await extract('math.docx', makeDocx(body));
    expect(doc.text).toBe('Since a^2+b^2=c^2, we have\n\nx=(-b±√(b^2-4ac))/(2a)\n\n∑_(i=1)^n x_i');
  });
});
