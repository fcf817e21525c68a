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

  it('still reads a document that has comments.xml but no reference to a comment (none are invented)', async () => {
    const doc = await extract('plain.docx', makeDocx(p('Nothing commented.'), { comments }));
    expect(doc.text).toBe('Nothing commented.');
    expect(doc.anchors.filter((a) => a.kind === 'comment')).toEqual([]);
  });
});
