import { describe, expect, it } from 'vitest';
import { DocumentModelSchema } from '../../../electron/common/document.ts';
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
