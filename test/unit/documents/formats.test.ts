import { describe, expect, it } from 'vitest';
import { anchorAt, DocumentModelSchema, type DocumentModel } from '../../../electron/common/document.ts';
import { extractBytes } from '../../../electron/node/documents/extract.ts';
import { docxParagraph, makeDocx, makeEpub, makePdf } from './fixtures.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

async function extract(name: string, bytes: Uint8Array): Promise<DocumentModel> {
  return DocumentModelSchema.parse(await extractBytes(name, bytes));
}

async function refusal(name: string, bytes: Uint8Array): Promise<{ code: string; message: string }> {
  const error = await extractBytes(name, bytes).then(
    () => undefined,
    (e: { code: string; message: string }) => e,
  );
  if (!error) throw new Error(`${name} was not refused`);
  return { code: error.code, message: error.message };
}

const slice = (doc: DocumentModel, a: { start: number; end: number }) => doc.text.slice(a.start, a.end);

describe('PDF', () => {
  const pdf = makePdf(
    [
      { paragraphs: [['The quick brown fox jumps over the hyphen-', 'ated line end and keeps', 'running.'], ['A second paragraph.']] },
      { paragraphs: [['Preface page two.']] },
      { paragraphs: [['Chapter one text.']] },
      { image: true },
      { paragraphs: [['Chapter two (with parentheses) and a back\\slash.']] },
    ],
    { title: 'Fox Tales', labels: [[0, 'r'], [2, 'D']] },
  );

  it('rejoins lines and hyphenation, keeps paragraphs, labels pages from /PageLabels', async () => {
    const doc = await extract('fox.pdf', pdf);
    expect(doc.format).toBe('pdf');
    expect(doc.title).toBe('Fox Tales');
    expect(doc.text).toContain('over the hyphenated line end and keeps running.\n\nA second paragraph.');
    const pages = doc.anchors.filter((a) => a.kind === 'page');
    expect(pages.map((p) => p.label)).toEqual(['i', 'ii', '1', '2', '3']);
    expect(slice(doc, pages[1])).toBe('Preface page two.');
    expect(slice(doc, pages[3])).toBe('');
    expect(slice(doc, pages[4])).toBe('Chapter two (with parentheses) and a back\\slash.');
    expect(anchorAt(doc, doc.text.indexOf('Chapter one'), 'page')?.label).toBe('1');
    expect(doc.warnings).toEqual(['1 of 5 pages have no text layer']);
  });

  it('numbers pages from 1 and takes the title from the file name without labels or metadata', async () => {
    const doc = await extract('/x/plain report.pdf', makePdf([{ paragraphs: [['one']] }, { paragraphs: [['two']] }]));
    expect(doc.anchors.map((a) => a.label)).toEqual(['1', '2']);
    expect(doc.title).toBe('plain report');
  });

  it('reports a PDF without a text layer as SCANNED', async () => {
    const r = await refusal('scan.pdf', makePdf([{ image: true }, { image: true }]));
    expect(r.code).toBe('SCANNED');
  });

  it('refuses a password-protected PDF as ENCRYPTED but reads one with an empty user password', async () => {
    const pages = [{ paragraphs: [['Secret ledger text']] }];
    expect((await refusal('locked.pdf', makePdf(pages, { userPassword: 'hunter2', title: 'Locked' }))).code).toBe('ENCRYPTED');
    const doc = await extract('owner.pdf', makePdf(pages, { userPassword: '', title: 'Owner only' }));
    expect(doc.text).toBe('Secret ledger text');
    expect(doc.title).toBe('Owner only');
  });
});

describe('EPUB', () => {
  const chapters = [
    { file: 'ch1.xhtml', title: 'Chapter One', body: '<h1>One</h1><p>Alpha &amp; omega.</p><p>Second <em>para</em>.</p>' },
    { file: 'ch2.xhtml', body: '<section><h2>The Second</h2><p>Beta text.</p><h3>Sub</h3><p>Deep.</p></section>' },
    { file: 'ch3.xhtml', title: 'Three', body: '<p>Gamma.</p><script>alert(1)</script>' },
  ];

  for (const version of [2, 3] as const) {
    it(`EPUB ${version}: follows the spine, labels chapters from the ${version === 3 ? 'nav' : 'NCX'} or first heading`, async () => {
      const doc = await extract('book.epub', makeEpub(chapters, { version, title: 'The Book', spine: ['ch2.xhtml', 'ch1.xhtml', 'ch3.xhtml'] }));
      expect(doc.format).toBe('epub');
      expect(doc.title).toBe('The Book');
      const chapterAnchors = doc.anchors.filter((a) => a.kind === 'chapter');
      expect(chapterAnchors.map((a) => a.label)).toEqual(['The Second', 'Chapter One', 'Three']);
      expect(slice(doc, chapterAnchors[1])).toBe('One\n\nAlpha & omega.\n\nSecond para.');
      expect(slice(doc, chapterAnchors[2])).toBe('Gamma.');
      expect(doc.text.startsWith('The Second\n\nBeta text.')).toBe(true);
      const sub = doc.anchors.find((a) => a.label === 'Sub')!;
      expect(slice(doc, sub)).toBe('Sub\n\nDeep.');
      expect(anchorAt(doc, doc.text.indexOf('Deep'), 'chapter')?.label).toBe('The Second');
    });
  }

  // pandoc's test/epub/img.epub puts its table of contents in the spine as linear="no"; markitdown's test.epub as linear.
  it('leaves out a table of contents the spine marks non-linear, and reads one in the reading order', async () => {
    const chapters = [{ file: 'a.xhtml', title: 'Alpha chapter', body: '<p>Body text.</p>' }];
    const aside = await extract('aside.epub', makeEpub(chapters, { navInSpine: 'non-linear' }));
    expect(aside.text).toBe('Body text.');
    const read = await extract('read.epub', makeEpub(chapters, { navInSpine: 'linear' }));
    expect(read.text).toContain('Alpha chapter');
    expect(read.text).toContain('Body text.');
  });

  it('reads tag-soup chapters with HTML entities through the HTML parser', async () => {
    const doc = await extract('soup.epub', makeEpub([{ file: 'a.xhtml', title: 'A', body: '<p>caf&eacute;&nbsp;ol&eacute;<br>next<p>unclosed' }]));
    expect(doc.text).toBe('café olé\nnext\n\nunclosed');
  });
});

describe('DOCX', () => {
  it('keeps paragraphs in order, Heading styles as anchors, tables as rows, footnotes', async () => {
    const body = [
      docxParagraph('Introduction', 'Heading1'),
      docxParagraph('First paragraph.'),
      '<w:p><w:r><w:t>Claim</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r><w:r><w:t xml:space="preserve"> stands.</w:t></w:r></w:p>',
      '<w:p><w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del><w:r><w:t>Kept</w:t><w:tab/><w:t>tabbed</w:t></w:r></w:p>',
      docxParagraph('Details', 'Heading2'),
      '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Name</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Age</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Ada</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>36</w:t></w:r></w:p></w:tc></w:tr></w:tbl>',
      docxParagraph('Part Two', 'Chapter'),
      docxParagraph('End.'),
    ].join('');
    const doc = await extract('report.docx', makeDocx(body, { title: 'Annual Report', footnotes: { '2': 'Source: the archive.' } }));
    expect(doc.format).toBe('docx');
    expect(doc.title).toBe('Annual Report');
    expect(doc.text).toBe(
      'Introduction\n\nFirst paragraph.\n\nClaim[1] stands.\n\nKept\ttabbed\n\nDetails\n\nName | Age\nAda | 36\n\nPart Two\n\nEnd.\n\nNotes\n\n[1] Source: the archive.',
    );
    const headings = doc.anchors.filter((a) => a.kind === 'heading');
    expect(headings.map((h) => h.label)).toEqual(['Introduction', 'Details', 'Part Two', 'Notes']);
    expect(slice(doc, headings[1])).toBe('Details\n\nName | Age\nAda | 36');
    expect(slice(doc, headings[0])).toContain('Ada | 36');
  });

  it('falls back to the file name for the title', async () => {
    const doc = await extract('/tmp/memo.docx', makeDocx(docxParagraph('Hello')));
    expect(doc.title).toBe('memo');
    expect(doc.text).toBe('Hello');
  });
});

describe('TXT and Markdown', () => {
  const sample = 'Café “quoted” naïve\nsecond line';

  it('decodes BOMs, strict UTF-8, UTF-16 without BOM, and detected windows-1252', async () => {
    const le = Buffer.from(sample, 'utf16le');
    const be = Buffer.from(le).swap16();
    const cases: Array<[string, Uint8Array, boolean]> = [
      ['utf-8', utf8(sample), false],
      ['utf-8 BOM', new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(sample)]), false],
      ['utf-16le BOM', new Uint8Array([0xff, 0xfe, ...le]), false],
      ['utf-16be BOM', new Uint8Array([0xfe, 0xff, ...be]), false],
      ['utf-16le no BOM', new Uint8Array(le), false],
      ['utf-16be no BOM', new Uint8Array(be), false],
      // The detector is sure enough of this one (50%) not to warn; test/unit/documents/encodings.test.ts has the rest.
      ['windows-1252', new Uint8Array([...Buffer.from('Caf\xe9 \x93quoted\x94 na\xefve\r\nsecond line', 'latin1')]), false],
    ];
    for (const [label, bytes, warned] of cases) {
      const doc = await extract('notes.txt', bytes);
      expect(doc.text, label).toBe(sample);
      expect(doc.warnings.length > 0, label).toBe(warned);
    }
  });

  it('reads text with a few lone NULs (an MSHTML mail page), and still refuses NULs in runs as binary', async () => {
    const page = '<html><body><p>Dear colleague,\0</p><p>the minutes are attached.\0</p><p>Regards\0</p></body></html>\0\0'.replace(/\0\0$/, '\0');
    const doc = await extract('mail.htm', utf8(page));
    expect(doc.text).toBe('Dear colleague,\n\nthe minutes are attached.\n\nRegards');
    expect((await refusal('blob.txt', utf8('abc\0\0\0\0'.repeat(50)))).code).toBe('UNSUPPORTED_FORMAT');
  });

  it('refuses binary data and empty text', async () => {
    const binary = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
    expect(await refusal('data.txt', binary)).toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: expect.stringContaining('Quire reads PDF, EPUB, DOCX') });
    expect((await refusal('blank.txt', utf8('  \n\n \t'))).code).toBe('EMPTY');
  });

  it('anchors Markdown headings (ATX and setext) outside code fences', async () => {
    const md = '# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n```sh\n# not a heading\n```\n\nUsage\n-----\n\nUse it.\n\n# Appendix\n\nMore.';
    const doc = await extract('guide.md', utf8(md));
    expect(doc.format).toBe('md');
    expect(doc.title).toBe('Guide');
    expect(doc.text).toBe(md);
    const headings = doc.anchors.map((a) => [a.label, slice(doc, a).split('\n')[0]]);
    expect(headings).toEqual([
      ['Guide', '# Guide'],
      ['Install', '## Install'],
      ['Usage', 'Usage'],
      ['Appendix', '# Appendix'],
    ]);
    expect(slice(doc, doc.anchors[1])).toContain('# not a heading');
    expect(slice(doc, doc.anchors[0])).not.toContain('Appendix');
  });
});

describe('HTML', () => {
  it('keeps visible text only, decodes entities, anchors headings', async () => {
    const html = `<!DOCTYPE html><html><head><title>Field &amp; Notes</title><style>p { color: red }</style>
      <script>document.write("no")</script></head><body>
      <h1>Birds</h1><p>Robins &lt;sing&gt; at&nbsp;dawn.</p>
      <div hidden>hidden div</div><p style="display: none">invisible</p><span aria-hidden="true">aria</span>
      <noscript>enable js</noscript><template><p>template</p></template>
      <h2>Owls</h2><ul><li>Barn</li><li>Snowy</li></ul>
      <table><tr><th>Bird</th><th>Call</th></tr><tr><td>Owl</td><td>Hoot</td></tr></table>
      <pre>line 1
  line 2</pre></body></html>`;
    const doc = await extract('page.html', utf8(html));
    expect(doc.title).toBe('Field & Notes');
    expect(doc.text).toBe('Birds\n\nRobins <sing> at dawn.\n\nOwls\n\nBarn\nSnowy\n\nBird | Call\nOwl | Hoot\n\nline 1\n  line 2');
    expect(doc.anchors.map((a) => a.label)).toEqual(['Birds', 'Owls']);
    expect(slice(doc, doc.anchors[1]).startsWith('Owls\n\nBarn')).toBe(true);
  });

  it('honours a meta charset when the bytes are not UTF-8', async () => {
    const bytes = Buffer.from('<html><head><meta charset="iso-8859-2"></head><body><p>\xb1</p></body></html>', 'latin1');
    const doc = await extract('pl.html', new Uint8Array(bytes));
    expect(doc.text).toBe('ą');
    expect(doc.warnings).toEqual([]);
  });
});

describe('SRT and WebVTT', () => {
  it('anchors SRT cues by start time and strips markup', async () => {
    const srt = '1\r\n00:00:01,000 --> 00:00:03,500\r\n<i>Hello</i> <font color="red">there</font>,\r\nfriend.\r\n\r\n2\r\n01:02:03,004 --> 01:02:05,000\r\n{\\an8}Top &amp; bottom\r\n\r\n3\r\nnot a timing line\r\nskipped\r\n';
    const doc = await extract('film.srt', utf8(srt));
    expect(doc.format).toBe('srt');
    expect(doc.text).toBe('Hello there, friend.\nTop & bottom');
    expect(doc.anchors.map((a) => [a.kind, a.label, slice(doc, a)])).toEqual([
      ['cue', '00:00:01,000', 'Hello there, friend.'],
      ['cue', '01:02:03,004', 'Top & bottom'],
    ]);
    expect(doc.warnings).toEqual(['1 malformed subtitle blocks were skipped']);
  });

  it('keeps WebVTT speakers, drops NOTE/STYLE/REGION blocks', async () => {
    const vtt = [
      'WEBVTT - interview',
      '',
      'NOTE this is a comment',
      'spanning lines',
      '',
      'STYLE',
      '::cue { color: yellow }',
      '',
      'REGION',
      'id:fred width:40%',
      '',
      'intro',
      '00:05.250 --> 00:07.000 align:start position:10%',
      '<v Roger Bingham>We are in New York City</v>',
      '',
      '00:00:08.000 --> 00:00:10.000',
      '<v.loud Neil deGrasse Tyson><c.yellow>Yes</c>, <00:00:09.000>we are.',
      '<v Roger Bingham>Great.',
    ].join('\n');
    const doc = await extract('talk.vtt', utf8(vtt));
    expect(doc.format).toBe('vtt');
    expect(doc.text).toBe('Roger Bingham: We are in New York City\nNeil deGrasse Tyson: Yes, we are.\nRoger Bingham: Great.');
    expect(doc.anchors.map((a) => a.label)).toEqual(['00:00:05,250', '00:00:08,000']);
    expect(slice(doc, doc.anchors[1])).toBe('Neil deGrasse Tyson: Yes, we are.\nRoger Bingham: Great.');
    expect(doc.text).not.toMatch(/cue|comment|fred/);
  });

  it('keeps SRT cue text after a blank line inside the cue: only a counter and a timing line start the next cue', async () => {
    const srt = '1\n00:00:01,000 --> 00:00:04,000\nThe first verse,\n\nand the second after a blank line.\n\n2\n00:00:05,000 --> 00:00:06,000\nNext cue.\n';
    const doc = await extract('song.srt', utf8(srt));
    expect(doc.anchors.map((a) => [a.label, slice(doc, a)])).toEqual([
      ['00:00:01,000', 'The first verse, and the second after a blank line.'],
      ['00:00:05,000', 'Next cue.'],
    ]);
    expect(doc.warnings).toEqual([]);
  });

  it('reads a WebVTT NUL as U+FFFD, as the specification says, instead of refusing the file', async () => {
    const doc = await extract('nul.vtt', utf8('WEBVTT\n\n00:01.000 --> 00:02.000\nA\0\0\0B\n'));
    expect(doc.text).toBe('A\uFFFD\uFFFD\uFFFDB');
  });

  // As the WebVTT test suite's file-parsing cases (web-platform-tests webvtt/parsing/file-parsing: arrows,
  // header-timings, nulls) expect them read.
  it('reads WebVTT cues that the specification reads: after the header, after a stray "-->" line, with settings glued on', async () => {
    const file = [
      'WEBVTT',
      'Kind: captions',
      '00:00:00.000 --> 00:00:01.000',
      'in the header block',
      '',
      '-->',
      '00:00:02.000 --> 00:00:03.000',
      'after an arrow line',
      'foo-->',
      '00:00:02.500 --> 00:00:03.000',
      'after an identifier with an arrow, no blank line',
      '',
      '00:00:04.000 --> 00:00:05.000\0align:end',
      'settings after a NUL',
      '',
    ].join('\n');
    const doc = await extract('spec.vtt', utf8(file));
    expect(doc.text).toBe('in the header block\nafter an arrow line\nafter an identifier with an arrow, no blank line\nsettings after a NUL');
    expect(doc.anchors.filter((a) => a.kind === 'cue').map((a) => a.label)).toEqual(['00:00:00,000', '00:00:02,000', '00:00:02,500', '00:00:04,000']);
  });

  // The WebVTT suite's timings-too-short.vtt, timings-garbage.vtt, whitespace-chars.vtt: cues browsers drop.
  it('reads WebVTT timestamps in WebVTT form only, unless none are, then as written with a warning', async () => {
    const mixed = ['WEBVTT', '', '00:00:01.000 --> 00:00:02.000', 'shown', '', '00:0:03.000 --> 00:00:04.000', 'one-digit minutes', '', '00:00:05.000 --> 00:00:06.0x00', 'garbage', '', '\v00:00:07.000 --> 00:00:08.000', 'vertical tab', ''];
    const doc = await extract('mixed.vtt', utf8(mixed.join('\n')));
    expect(doc.text).toBe('shown');
    const commas = await extract('commas.vtt', utf8('WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nWritten with commas\n'));
    expect(commas.text).toBe('Written with commas');
    expect(commas.warnings).toEqual([expect.stringContaining("not in WebVTT's form")]);
  });

  it('refuses a subtitle file without a single valid cue', async () => {
    expect((await refusal('bad.srt', utf8('1\n99:99 --> nope\nText\n'))).code).toBe('CORRUPT');
  });
});

describe('format detection', () => {
  it('trusts magic bytes over the extension and sniffs text formats without one', async () => {
    expect((await extract('misnamed.txt', makePdf([{ paragraphs: [['pdf inside']] }]))).format).toBe('pdf');
    expect((await extract('book.zip', makeEpub([{ file: 'a.xhtml', body: '<p>x</p>' }]))).format).toBe('epub');
    expect((await extract('doc.bin', makeDocx(docxParagraph('y')))).format).toBe('docx');
    expect((await extract('captions', utf8('WEBVTT\n\n00:01.000 --> 00:02.000\nhi'))).format).toBe('vtt');
    expect((await extract('subs', utf8('1\n00:00:01,000 --> 00:00:02,000\nhi'))).format).toBe('srt');
    expect((await extract('page', utf8('<!doctype html><p>hi</p>'))).format).toBe('html');
    expect((await extract('README', utf8('just words'))).format).toBe('txt');
  });

  it('refuses legacy and unknown binary formats with UNSUPPORTED_FORMAT, fake ones with CORRUPT', async () => {
    const ole = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Uint8Array(504)]);
    expect((await refusal('old.doc', ole)).code).toBe('UNSUPPORTED_FORMAT');
    expect((await refusal('locked.docx', ole)).code).toBe('ENCRYPTED');
    expect((await refusal('fake.pdf', utf8('hello'))).code).toBe('CORRUPT');
    expect((await refusal('fake.epub', utf8('hello'))).code).toBe('CORRUPT');
    expect((await refusal('empty.txt', new Uint8Array(0))).code).toBe('EMPTY');
  });
});
