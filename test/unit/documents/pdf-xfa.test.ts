// XFA forms (issue 24 point 4): what the user typed is in the form's datasets packet, which pdf.js does not draw.
// The forms are written by makeGlyphPdf (pdf-text-fixtures.ts) from a data object, and the expectations are
// that object's values; qpdf --check finds no fault in the files written.
import { describe, expect, it } from 'vitest';
import { DocumentModelSchema } from '../../../electron/common/document.ts';
import { extractBytes } from '../../../electron/node/documents/extract.ts';
import { readPdf } from '../../../electron/node/documents/pdf.ts';
import { assemblePdf } from '../../../electron/node/documents/pdf-parts.ts';
import { makeGlyphPdf, type GlyphFont, type GlyphPage } from './pdf-text-fixtures.ts';

const read = async (name: string, pdf: Uint8Array) => DocumentModelSchema.parse(await extractBytes(name, pdf));
const helvetica: GlyphFont = { alphabet: ['x'] };

interface Data {
  [name: string]: string | string[] | Data;
}
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const dataXml = (data: Data): string =>
  Object.entries(data)
    .map(([name, v]) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v : null)?.map((s) => `<${name}>${escape(s)}</${name}>`).join('') ?? `<${name}>${dataXml(v as Data)}</${name}>`)
    .join('');
// As Designer writes it: the data under the form's root, then a data description naming the same elements.
const datasets = (data: Data, extra = '') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/"><xfa:data><form1>${dataXml(data)}${extra}</form1></xfa:data>` +
  `<dd:dataDescription xmlns:dd="http://ns.adobe.com/data-description/" dd:name="form1"><form1><Name/><Partner/></form1></dd:dataDescription></xfa:datasets>`;
const label = (y: number, text: string) => `BT /F2 12 Tf 72 ${y} Td (${text}) Tj ET`;
const box = (y: number): [number, number, number, number] => [140, y - 5, 320, y + 15];
const count = (text: string, part: string) => text.split(part).length - 1;

describe('XFA form data', () => {
  it('reads a static form’s values in place where a widget shows them, once, and the rest after the pages by name', async () => {
    const data = { Name: 'Alice Moreau', Partner: 'Bob', Email: 'alice@example.org', Comments: 'Prefers e-mail & post', Address: { City: 'Lyon' } };
    const page: GlyphPage = {
      content: [label(700, 'Name:'), label(670, 'Partner:'), label(640, 'Email:'), label(600, 'Signed below.')].join(' '),
      fields: [
        // Widgets with no value of their own: one named in full (its unnamed subform leaves no step in the data),
        // one by its own name only; the third holds the value the data holds.
        { name: 'form1[0].#subform[0].Name[0]', rect: box(700) },
        { name: 'Partner[0]', rect: box(670) },
        { name: 'form1[0].#subform[0].Email[0]', value: data.Email, rect: box(640) },
      ],
    };
    const doc = await read('form.pdf', makeGlyphPdf(helvetica, [page], { helvetica: true, xfa: { datasets: datasets(data) } }));
    expect(doc.text).toBe(
      `Name: ${data.Name}\n\nPartner: ${data.Partner}\n\nEmail: ${data.Email}\n\nSigned below.\n\nForm data\n\nComments: ${data.Comments}\nAddress.City: ${data.Address.City}`,
    );
    for (const value of [data.Name, data.Partner, data.Email, data.Comments, data.Address.City]) expect(count(doc.text, value), value).toBe(1);
    const section = doc.anchors.find((a) => a.kind === 'heading');
    expect(section && { label: section.label, text: doc.text.slice(section.start, section.end) }).toEqual({ label: 'Form data', text: doc.text.slice(doc.text.indexOf('Form data')) });
  });

  it('reads a dynamic form (its pages only the printed text) from the XDP packet: groups, repeated fields, lists and rich text', async () => {
    const data = { Applicant: { Name: 'Zoë Ødegaard', Country: 'Norway' }, Item: ['Tent', 'Stove'], Phone: '' };
    const notes = '<Notes xfa:contentType="text/html"><body xmlns="http://www.w3.org/1999/xhtml"><p>Leaves on <b>Friday</b></p></body></Notes>';
    const choices = '<Meals><value>Breakfast</value><value>Dinner</value></Meals>';
    const wait = 'Please wait... If this message is not eventually replaced, your viewer cannot show this form.';
    const pdf = makeGlyphPdf(helvetica, [{ content: label(700, wait) }], { helvetica: true, xfa: { datasets: datasets(data, notes + choices), xdp: true } });
    const doc = await read('dynamic.pdf', pdf);
    expect(doc.text).toBe(
      `${wait}\n\nForm data\n\nApplicant.Name: ${data.Applicant.Name}\nApplicant.Country: ${data.Applicant.Country}\n` +
        `Item[0]: ${data.Item[0]}\nItem[1]: ${data.Item[1]}\nNotes: Leaves on Friday\nMeals: Breakfast, Dinner`,
    );
  });

  it('leaves out of the section a field a widget shows on a page read by another parser process', async () => {
    const data = { Name: 'Alice Moreau', Comments: 'Prefers e-mail' };
    const pages: GlyphPage[] = [{ content: label(700, 'Part one.') }, { content: label(700, 'Name:'), fields: [{ name: 'form1[0].Name[0]', rect: box(700) }] }];
    const bytes = makeGlyphPdf(helvetica, pages, { helvetica: true, xfa: { datasets: datasets(data) } });
    const whole = await read('two.pdf', bytes);
    expect(whole.text).toBe(`Part one.\n\nName: ${data.Name}\n\nForm data\n\nComments: ${data.Comments}`);
    const parts = [await readPdf(bytes, 'two', { range: () => [1, 1] }), await readPdf(bytes, 'two', { range: () => [2, 2] })];
    expect(DocumentModelSchema.parse(assemblePdf(parts))).toStrictEqual(whole);
  });
});
