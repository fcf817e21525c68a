import { describe, expect, it } from 'vitest';
import { DocumentModelSchema } from '../../../electron/common/document.ts';
import { metadataTitle } from '../../../electron/node/documents/detect.ts';
import { extractBytes } from '../../../electron/node/documents/extract.ts';
import { makePdf } from './fixtures.ts';

describe('PDF page anchors', () => {
  it('keep page order when the first pages have no text (a cover image, then text)', async () => {
    const pdf = makePdf([{ image: true }, { image: true }, { paragraphs: [['Foreword.']] }, { paragraphs: [['Chapter one.']] }]);
    const doc = DocumentModelSchema.parse(await extractBytes('freeculture.pdf', pdf));
    const pages = doc.anchors.filter((a) => a.kind === 'page');
    expect(pages.map((p) => p.label)).toEqual(['1', '2', '3', '4']);
    expect(pages.map((p) => doc.text.slice(p.start, p.end))).toEqual(['', '', 'Foreword.', 'Chapter one.']);
  });
});

describe('PDF encryption', () => {
  const pages = [{ paragraphs: [['Secret ledger text']] }];

  for (const revision of [2, 3] as const) {
    it(`reads a PDF locked only by an empty owner password, as poppler and qpdf do (revision ${revision})`, async () => {
      const doc = DocumentModelSchema.parse(await extractBytes('statement.pdf', makePdf(pages, { userPassword: 'secret', ownerPassword: '', revision })));
      expect(doc.text).toBe('Secret ledger text');
    });

    it(`reads an empty user password and refuses a real one (revision ${revision})`, async () => {
      const doc = DocumentModelSchema.parse(await extractBytes('open.pdf', makePdf(pages, { userPassword: '', revision })));
      expect(doc.text).toBe('Secret ledger text');
      await expect(extractBytes('locked.pdf', makePdf(pages, { userPassword: 'secret', revision }))).rejects.toMatchObject({ code: 'ENCRYPTED' });
    });
  }

  it('reads an empty user password without a file identifier, and still refuses a real password', async () => {
    const doc = DocumentModelSchema.parse(await extractBytes('noid.pdf', makePdf(pages, { userPassword: '', noId: true })));
    expect(doc.text).toBe('Secret ledger text');
    await expect(extractBytes('locked.pdf', makePdf(pages, { userPassword: 'secret', ownerPassword: 'also secret' }))).rejects.toMatchObject({
      code: 'ENCRYPTED',
      message: 'the PDF is password-protected: open it with its password',
    });
  });
});


describe('titles', () => {
  it('takes the file name when the metadata title names no document', async () => {
    const page = [{ paragraphs: [['The lamp was replaced in March.']] }];
    expect((await extractBytes('annual-report-2025.pdf', makePdf(page, { title: 'about:blank' }))).title).toBe('annual-report-2025');
    expect((await extractBytes('minutes.pdf', makePdf(page, { title: 'Microsoft Word - Board minutes.docx' }))).title).toBe('Board minutes');
    expect((await extractBytes('x.pdf', makePdf(page, { title: 'Lighthouse annual report' }))).title).toBe('Lighthouse annual report');
    expect(metadataTitle('Untitled')).toBe('');
    expect(metadataTitle('  ')).toBe('');
    expect(metadataTitle('Document1')).toBe('');
  });
});
