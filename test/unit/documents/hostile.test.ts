import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentModelSchema } from '../../../electron/common/document.ts';
import { extractBytes, extractFile, extractIsolated, extractionsRunning } from '../../../electron/node/documents/extract.ts';
import { EXTRACT_CONCURRENCY, MAX_FILE_BYTES, MAX_XML_DEPTH, MAX_ZIP_ENTRIES } from '../../../electron/node/documents/limits.ts';
import { docxParagraph, makeDocx, makeEpub, makePdf } from './fixtures.ts';
import { formatBytes } from '../../../electron/common/format.ts';

const dir = mkdtempSync(join(tmpdir(), 'quire-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const utf8 = (s: string) => new TextEncoder().encode(s);

async function refused(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  return promise.then(
    () => ({ code: 'accepted', message: '' }),
    (e: { code?: string; message: string }) => {
      expect(e.message).not.toContain('\n');
      return { code: e.code ?? 'untyped', message: e.message };
    },
  );
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return (await refused(promise)).code;
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>`;

describe('hostile PDFs', () => {
  const good = makePdf(Array.from({ length: 6 }, (_, i) => ({ paragraphs: [[`Page ${i + 1} words.`]] })));

  it('refuses random bytes behind a PDF header as CORRUPT', async () => {
    const random = new Uint8Array(20_000).map(() => Math.floor(Math.random() * 256));
    random.set(utf8('%PDF-1.7\n'));
    expect(await codeOf(extractBytes('random.pdf', random))).toBe('CORRUPT');
  });

  it('refuses a PDF cut before its first page as CORRUPT, without hanging', async () => {
    expect(await codeOf(extractBytes('cut.pdf', good.subarray(0, 60)))).toBe('CORRUPT');
  });

  it('refuses a PDF truncated anywhere before its trailer as CORRUPT, and tolerates a lost %%EOF', async () => {
    for (const fraction of [0.1, 0.3, 0.6, 0.9, 0.95]) {
      expect(await codeOf(extractBytes('cut.pdf', good.subarray(0, Math.floor(good.length * fraction)))), String(fraction)).toBe('CORRUPT');
    }
    const doc = DocumentModelSchema.parse(await extractBytes('no-eof.pdf', good.subarray(0, good.length - '%%EOF\n'.length)));
    expect(doc.anchors.filter((a) => a.kind === 'page')).toHaveLength(6);
    expect(doc.text).toContain('Page 6 words.');
  });
});

describe('hostile zip containers', () => {
  it('stops a zip bomb while inflating (ratio), before it fills memory', async () => {
    // Big enough that inflating it would show far above the noise of garbage collection in RSS.
    const bomb = makeDocx('', { documentXml: `<w:document xmlns:w="w"><w:body>${' '.repeat(160 * 2 ** 20)}</w:body></w:document>` });
    expect(bomb.length).toBeLessThan(1_000_000);
    const before = process.memoryUsage().rss;
    const error = await refused(extractBytes('bomb.docx', bomb));
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(error.message).toMatch(/zip bomb/);
    expect(process.memoryUsage().rss - before).toBeLessThan(80 * 2 ** 20);
  });

  it('refuses entries whose inflated size differs from the declared one', async () => {
    const docx = makeDocx(docxParagraph('Hello there'));
    // Patch the declared uncompressed size of word/document.xml in the central directory.
    const view = new DataView(docx.buffer);
    const name = utf8('word/document.xml');
    for (let at = docx.length - 22; at > 0; at--) {
      if (view.getUint32(at, true) === 0x02014b50 && Buffer.from(docx.subarray(at + 46, at + 46 + name.length)).equals(Buffer.from(name))) {
        view.setUint32(at + 24, view.getUint32(at + 24, true) + 1, true);
        break;
      }
    }
    expect(await codeOf(extractBytes('liar.docx', docx))).toBe('CORRUPT');
  });

  it('refuses path-traversal entry names', async () => {
    for (const evil of ['../../etc/passwd', '/abs/file', 'OEBPS\\..\\x', 'C:/windows/x']) {
      const epub = zipSync({ mimetype: utf8('application/epub+zip'), 'META-INF/container.xml': utf8('<container/>'), [evil]: utf8('x') });
      const error = await refused(extractBytes('evil.epub', epub));
      expect(error, evil).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('unsafe zip entry name') });
    }
  });

  it(`refuses more than ${MAX_ZIP_ENTRIES} entries`, async () => {
    const files: Record<string, Uint8Array> = { mimetype: utf8('application/epub+zip') };
    for (let i = 0; i <= MAX_ZIP_ENTRIES; i++) files[`f/${i}`] = new Uint8Array(0);
    expect(await codeOf(extractBytes('many.epub', zipSync(files, { level: 0 })))).toBe('LIMIT_EXCEEDED');
  });

  it('refuses a truncated archive as CORRUPT', async () => {
    const epub = makeEpub([{ file: 'a.xhtml', body: '<p>text</p>' }]);
    expect(await codeOf(extractBytes('cut.epub', epub.subarray(0, epub.length - 30)))).toBe('CORRUPT');
  });
});

describe('hostile XML and HTML', () => {
  it('refuses billion laughs in DOCX, EPUB chapters and HTML without expanding anything', async () => {
    const docx = makeDocx('', { documentXml: `${billionLaughs}<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>` });
    expect(await codeOf(extractBytes('laughs.docx', docx))).toBe('LIMIT_EXCEEDED');
    const epub = makeEpub([{ file: 'a.xhtml', body: '<p>x</p>' }]);
    const chapter = zipSync({
      mimetype: [utf8('application/epub+zip'), { level: 0 }],
      'META-INF/container.xml': utf8('<container><rootfiles><rootfile full-path="p.opf"/></rootfiles></container>'),
      'p.opf': utf8('<package><metadata/><manifest><item id="a" href="a.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="a"/></spine></package>'),
      'a.xhtml': utf8(`${billionLaughs}<html><body><p>&lol9;</p></body></html>`),
    });
    expect(epub.length).toBeGreaterThan(0);
    expect(await codeOf(extractBytes('laughs.epub', chapter))).toBe('LIMIT_EXCEEDED');
    expect(await codeOf(extractBytes('laughs.html', utf8(`${billionLaughs.replace('<?xml version="1.0"?>', '')}<html><body>&lol9;</body></html>`)))).toBe(
      'LIMIT_EXCEEDED',
    );
  });

  it('refuses undeclared entities in XML parts as CORRUPT', async () => {
    const docx = makeDocx('', { documentXml: '<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>&bogus;</w:t></w:r></w:p></w:body></w:document>' });
    expect(await codeOf(extractBytes('bogus.docx', docx))).toBe('CORRUPT');
  });

  it('refuses deeply nested XML, flattens deeply nested HTML keeping its text', async () => {
    const depth = 10_000;
    const nested = `${'<w:sdt><w:sdtContent>'.repeat(depth)}${docxParagraph('bottom')}${'</w:sdtContent></w:sdt>'.repeat(depth)}`;
    const error = await refused(extractBytes('deep.docx', makeDocx(nested)));
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining(`deeper than ${MAX_XML_DEPTH}`) });
    const html = `<html><body>${'<div>'.repeat(depth)}bottom${'</div>'.repeat(depth)}</body></html>`;
    const doc = await extractBytes('deep.html', utf8(html));
    expect(doc.text).toBe('bottom');
    expect(doc.warnings.join(' ')).toMatch(/flattened/);
  });
});

describe('huge files and the worker', () => {
  it('refuses a 200 MB single line by its size, without reading it into memory', async () => {
    const path = join(dir, 'line.txt');
    const out = createWriteStream(path);
    const chunk = Buffer.alloc(4 * 2 ** 20, 'a');
    for (let i = 0; i < 50; i++) if (!out.write(chunk)) await once(out, 'drain');
    out.end();
    await once(out, 'close');
    const before = process.memoryUsage().rss;
    const error = await refused(extractFile(path));
    expect(error).toMatchObject({ code: 'TOO_LARGE' });
    expect(error.message).toContain(`over the ${formatBytes(MAX_FILE_BYTES.txt)} limit for TXT files`);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 2 ** 20);
  });

  it('extracts a single 20 MB line within the limits in the worker', async () => {
    const path = join(dir, 'long.md');
    writeFileSync(path, `# Long\n\n${'word '.repeat(4 * 2 ** 20)}`);
    const doc = await extractFile(path);
    expect(doc.chars).toBe(8 + 5 * 4 * 2 ** 20 - 1);
    expect(doc.anchors).toEqual([{ kind: 'heading', label: 'Long', start: 0, end: doc.chars }]);
  });

  it('terminates a worker that overruns the time limit with TIMEOUT', async () => {
    const path = join(dir, 'slow.pdf');
    writeFileSync(path, makePdf(Array.from({ length: 300 }, (_, i) => ({ paragraphs: [[`page ${i}`]] }))));
    const started = Date.now();
    const error = await refused(extractFile(path, { timeoutMs: 50 }));
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports progress from the worker and returns the same model as in-process extraction', async () => {
    const path = join(dir, 'progress.pdf');
    const bytes = makePdf(Array.from({ length: 5 }, (_, i) => ({ paragraphs: [[`page ${i}`]] })));
    writeFileSync(path, bytes);
    const progress: Array<[number, number]> = [];
    const doc = await extractFile(path, { onProgress: (done, total) => progress.push([done, total]) });
    expect(progress.slice(0, 5)).toEqual([[1, 5], [2, 5], [3, 5], [4, 5], [5, 5]]);
    expect(doc).toEqual(await extractBytes('progress.pdf', bytes));
  });

  it('queues parallel imports: no more parsers at once than the limit, and every one finishes', async () => {
    const bytes = makePdf(Array.from({ length: 40 }, (_, i) => ({ paragraphs: [[`page ${i}`]] })));
    let most = 0;
    const timer = setInterval(() => (most = Math.max(most, extractionsRunning())), 2);
    const docs = await Promise.all(Array.from({ length: 6 }, (_, i) => extractIsolated({ bytes, name: `book-${i}.pdf` })));
    clearInterval(timer);
    expect(docs.every((d) => d.anchors.length === 40)).toBe(true);
    expect(most).toBe(EXTRACT_CONCURRENCY);
    expect(extractionsRunning()).toBe(0);
  });

  it('turns missing files and folders into NOT_FOUND and INVALID_INPUT', async () => {
    expect(await codeOf(extractFile(join(dir, 'missing.pdf')))).toBe('NOT_FOUND');
    expect(await codeOf(extractFile(dir))).toBe('INVALID_INPUT');
  });
});
