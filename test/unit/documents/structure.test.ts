import { describe, expect, it } from 'vitest';
import { DocumentModelSchema, type DocumentModel } from '../../../electron/common/document.ts';
import { extractBytes } from '../../../electron/node/documents/extract.ts';
import { makeEpub } from './fixtures.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const latin1 = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

async function extract(name: string, bytes: Uint8Array): Promise<DocumentModel> {
  return DocumentModelSchema.parse(await extractBytes(name, bytes));
}

const slice = (doc: DocumentModel, a: { start: number; end: number }) => doc.text.slice(a.start, a.end);
const chapters = (doc: DocumentModel) => doc.anchors.filter((a) => a.kind === 'chapter');

describe('EPUB, second pass', () => {
  const xhtml = (body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Bad</title></head><body>${body}</body></html>`;

  it('reads the rest of a book when one chapter is not valid UTF-8, and names that chapter', async () => {
    // A chapter saved by a Western editor in windows-1252 although the XML declares UTF-8.
    const legacy = latin1(xhtml('<p>Caf\xe9 cr\xe8me, na\xefve \x93quotes\x94 and a r\xe9sum\xe9.</p>'));
    // A UTF-8 chapter with two damaged sequences in the middle (a truncated "é", a stray 0xFF).
    const damaged = new Uint8Array([...utf8(xhtml('<p>Smörgåsbord ').replace('</body></html>', '')), 0xc3, 0x28, 0xff, ...utf8(' tail.</p></body></html>')]);
    const book = makeEpub(
      [
        { file: 'one.xhtml', title: 'One', body: '<p>First chapter.</p>' },
        { file: 'two.xhtml', title: 'Two', body: '', raw: legacy },
        { file: 'three.xhtml', title: 'Three', body: '', raw: damaged },
        { file: 'four.xhtml', title: 'Four', body: '<p>Last chapter.</p>' },
      ],
      { version: 2 },
    );
    const doc = await extract('book.epub', book);
    expect(chapters(doc).map((c) => c.label)).toEqual(['One', 'Two', 'Three', 'Four']);
    expect(slice(doc, chapters(doc)[1])).toBe('Café crème, naïve “quotes” and a résumé.');
    expect(slice(doc, chapters(doc)[2])).toBe('Smörgåsbord \uFFFD(\uFFFD tail.');
    expect(doc.text).toContain('Last chapter.');
    expect(doc.warnings).toEqual([
      expect.stringMatching(/^EPUB chapter OEBPS\/two\.xhtml is not valid UTF-8; it was read as windows-1252/),
      'EPUB chapter OEBPS/three.xhtml is not valid UTF-8; 2 invalid byte sequences were replaced',
    ]);
  });

  for (const version of [2, 3] as const) {
    it(`EPUB ${version}: labels chapters that share a file from the ${version === 3 ? 'nav' : 'NCX'} entries at their ids, not the page title`, async () => {
      const body =
        '<p>Project front matter.</p>' +
        '<h2 id="c1"><a id="x1"></a>CHAPTER I.</h2><p>Down, down, down.</p>' +
        '<div id="c2"><h2>CHAPTER II.</h2><p>Curiouser and curiouser!</p></div>';
      const book = makeEpub(
        [
          {
            file: 'alice.xhtml',
            pageTitle: "Alice's Adventures in Wonderland",
            body,
            entries: [
              ['c1', 'I. Down the Rabbit-Hole'],
              ['c2', 'II. The Pool of Tears'],
            ],
          },
          { file: 'end.xhtml', body: '<p>THE END</p>', entries: [['top', 'Colophon']] },
        ],
        { version },
      );
      const doc = await extract('alice.epub', book);
      const found = chapters(doc);
      // The front matter before the first entry has no heading of its own: the page title names it.
      expect(found.map((c) => c.label)).toEqual(["Alice's Adventures in Wonderland", 'I. Down the Rabbit-Hole', 'II. The Pool of Tears', 'Colophon']);
      expect(slice(doc, found[0])).toBe('Project front matter.');
      expect(slice(doc, found[1])).toBe('CHAPTER I.\n\nDown, down, down.');
      expect(slice(doc, found[2])).toBe('CHAPTER II.\n\nCuriouser and curiouser!');
      expect(slice(doc, found[3])).toBe('THE END');
    });
  }
});

describe('WebVTT and SRT cues without a blank line between them', () => {
  it('starts a new WebVTT cue at a timing line that follows cue text directly', async () => {
    const vtt = 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nFirst cue.\n00:00:03.000 --> 00:00:04.000\nSecond cue.\n\n00:00:05.000 --> 00:00:06.000\nThird.';
    const doc = await extract('talk.vtt', utf8(vtt));
    const cues = doc.anchors.filter((a) => a.kind === 'cue');
    expect(cues.map((c) => c.label)).toEqual(['00:00:01,000', '00:00:03,000', '00:00:05,000']);
    expect(cues.map((c) => slice(doc, c))).toEqual(['First cue.', 'Second cue.', 'Third.']);
  });

  it('reads webvtt-py\'s invalid_timeframe_in_cue_text.vtt without a timing line in the text', async () => {
    // tests/subtitles/invalid_timeframe_in_cue_text.vtt of glut23/webvtt-py (MIT licence), byte for byte.
    const vtt =
      'WEBVTT\n\n00:00:00.500 --> 00:00:07.000\nCaption text #1\n\n00:00:07.000 --> 00:00:10.890\n00:00:07.000 --> 00:00:10.890\nCaption text #2\n\n00:00:11.890 --> 00:00:16.320\nCaption text #3';
    const doc = await extract('invalid_timeframe_in_cue_text.vtt', utf8(vtt));
    expect(doc.text).toBe('Caption text #1\nCaption text #2\nCaption text #3');
    expect(doc.anchors.map((c) => c.label)).toEqual(['00:00:00,500', '00:00:07,000', '00:00:11,890']);
  });

  it('does the same for SRT, dropping the counter line of the next cue', async () => {
    const srt = '1\n00:00:01,000 --> 00:00:02,000\nFirst cue.\n2\n00:00:03,000 --> 00:00:04,000\nSecond cue.\n';
    const doc = await extract('talk.srt', utf8(srt));
    const cues = doc.anchors.filter((a) => a.kind === 'cue');
    expect(cues.map((c) => slice(doc, c))).toEqual(['First cue.', 'Second cue.']);
    expect(doc.warnings).toEqual([]);
  });
});

describe('MathML in HTML', () => {
  it('keeps a formula as its alttext, or else as its tokens, inline and in display', async () => {
    const html =
      '<html><body><p>Energy is <math alttext="E = mc^2"><mi>E</mi><mo>=</mo><mi>m</mi><msup><mi>c</mi><mn>2</mn></msup></math> as usual.</p>' +
      '<p>Roots:</p><math display="block"><mi>x</mi><mo>=</mo><mfrac><mrow><mo>-</mo><mi>b</mi></mrow><mrow><mn>2</mn><mi>a</mi></mrow></mfrac>' +
      '<annotation-xml encoding="MathML-Content"><ci>ignored</ci></annotation-xml></math><p>After.</p></body></html>';
    const doc = await extract('physics.html', utf8(html));
    expect(doc.text).toBe('Energy is E = mc^2 as usual.\n\nRoots:\n\nx = - b 2 a\n\nAfter.');
  });

  it('prefers a TeX annotation when there is no alttext', async () => {
    const html =
      '<p>Area <math><semantics><mrow><mi>π</mi><msup><mi>r</mi><mn>2</mn></msup></mrow><annotation encoding="application/x-tex">\\pi r^2</annotation></semantics></math>.</p>';
    const doc = await extract('area.html', utf8(html));
    expect(doc.text).toBe('Area \\pi r^2.');
  });
});

describe('plain-text books', () => {
  const prose = (n: number) => Array.from({ length: 6 }, (_, i) => `Paragraph ${i + 1} of part ${n} goes on for a while, as a chapter's paragraphs do.`).join('\n\n');
  // A Project Gutenberg book as it comes: header, contents (one line each), then chapters in several styles.
  const book = [
    'The Project Gutenberg eBook of A Tale Told Twice',
    '',
    'This ebook is for the use of anyone anywhere in the United States and most other parts of the world.',
    '',
    'Title: A Tale Told Twice',
    '       and Once Again',
    '',
    'Author: Ann Example',
    '',
    '*** START OF THE PROJECT GUTENBERG EBOOK A TALE TOLD TWICE ***',
    '',
    'Contents',
    '',
    'CHAPTER I.',
    'CHAPTER II.',
    'BOOK TWO',
    '',
    'CHAPTER I.',
    '',
    'Down the Rabbit-Hole',
    '',
    prose(1),
    '',
    'Chapter 12',
    '',
    prose(2),
    '',
    'BOOK TWO',
    '',
    prose(3),
    '',
    'XIV.',
    '',
    prose(4),
    '',
    '# Epilogue',
    '',
    prose(5),
    '',
    'In chapter 3 we saw a mention, not a heading.',
  ].join('\n');

  it('anchors chapter lines (CHAPTER I, Chapter 12, BOOK TWO, a roman numeral, a Markdown heading), not the contents', async () => {
    const doc = await extract('pg1234.txt', utf8(book));
    expect(chapters(doc).map((c) => c.label)).toEqual(['CHAPTER I. Down the Rabbit-Hole', 'Chapter 12', 'BOOK TWO', 'XIV.', 'Epilogue']);
    expect(slice(doc, chapters(doc)[1])).toMatch(/^Chapter 12\n\nParagraph 1 of part 2[\s\S]*Paragraph 6 of part 2[^\n]*\n\n$/);
  });

  it("titles a Project Gutenberg book from its header's Title line, not its file name", async () => {
    expect((await extract('pg1234.txt', utf8(book))).title).toBe('A Tale Told Twice and Once Again');
    // Elsewhere a "Title:" line is just text.
    expect((await extract('notes.txt', utf8('Title: not this\n\nSome notes.'))).title).toBe('notes');
  });
});

