import type { DocumentModel } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import { decodeXml, decodeXmlLenient } from './decode.ts';
import { FLATTENED_WARNING } from './html.ts';
import { findElement, parseHtml, renderMarkup } from './markup.ts';
import { TextBuilder } from './text-builder.ts';
import { attr, descendants, elements, firstElement, parseXml, textContent, type XmlElement } from './xml.ts';
import { dirOf, resolvePart, ZipArchive } from './zip-guard.ts';

const CHAPTER_TYPES = new Set(['application/xhtml+xml', 'text/html', 'application/x-dtbook+xml']);

interface Item {
  path: string;
  mediaType: string;
  properties: string[];
}

function readXml(zip: ZipArchive, part: string): XmlElement {
  return parseXml(decodeXml(zip.read(part), `EPUB ${part}`), `EPUB ${part}`);
}

// Chapters are XHTML, but real books ship HTML entities and tag soup: well-formed XML goes through the XML
// parser (which refuses entity declarations and deep nesting), anything else through the HTML parser. A
// chapter that is not in the encoding it declares is read as well as it can be and named in a warning, so
// one bad file does not cost the reader the rest of the book.
function readChapter(zip: ZipArchive, part: string, warnings: Set<string>): XmlElement {
  const { text, problem } = decodeXmlLenient(zip.read(part), `EPUB ${part}`);
  if (problem) warnings.add(`EPUB chapter ${part} is ${problem}`);
  try {
    return parseXml(text, `EPUB ${part}`);
  } catch (error) {
    if (!(error instanceof QuireError) || error.code !== 'CORRUPT') throw error;
  }
  const { root, flattened } = parseHtml(text);
  if (flattened) warnings.add(FLATTENED_WARNING);
  return root;
}

interface TocEntry {
  label: string;
  // The element id the entry points at inside its file; undefined for the file itself.
  fragment?: string;
}

// Table-of-contents entries per chapter file, in reading order, from the EPUB 3 nav document or else the
// EPUB 2 NCX. Several entries may point into one file (books split by size rather than by chapter), each at
// the id where its chapter starts.
function tocEntries(zip: ZipArchive, items: Map<string, Item>, ncxId: string | undefined, warnings: Set<string>): Map<string, TocEntry[]> {
  const entries = new Map<string, TocEntry[]>();
  let count = 0;
  const add = (base: string, href: string | undefined, label: string) => {
    const path = href && resolvePart(dirOf(base), href);
    const text = label.replace(/\s+/g, ' ').trim();
    if (!path || !text) return;
    const hash = href.indexOf('#');
    let fragment: string | undefined;
    try {
      fragment = hash >= 0 && hash < href.length - 1 ? decodeURIComponent(href.slice(hash + 1)) : undefined;
    } catch {
      fragment = href.slice(hash + 1);
    }
    const list = entries.get(path) ?? [];
    if (!list.some((e) => e.fragment === fragment)) list.push({ label: text, fragment });
    entries.set(path, list);
    count++;
  };
  const nav = [...items.values()].find((i) => i.properties.includes('nav'));
  if (nav && zip.has(nav.path)) {
    const root = readChapter(zip, nav.path, warnings);
    const navs = descendants(root, 'nav');
    const toc = navs.find((n) => (attr(n, 'type') ?? '').split(/\s+/).includes('toc')) ?? navs[0];
    for (const a of toc ? descendants(toc, 'a') : []) add(nav.path, attr(a, 'href'), textContent(a));
  }
  const ncx = ncxId ? items.get(ncxId) : undefined;
  if (count === 0 && ncx && zip.has(ncx.path)) {
    for (const point of descendants(readXml(zip, ncx.path), 'navPoint')) {
      const label = firstElement(firstElement(point, 'navLabel') ?? point, 'text');
      add(ncx.path, attr(firstElement(point, 'content') ?? point, 'src'), label ? textContent(label) : '');
    }
  }
  return entries;
}

// The file's first h1–h6, unless an element a TOC entry starts at comes first: that heading belongs to the
// entry's chapter, not to the text before it.
function firstHeading(root: XmlElement, atIds: Map<string, string>): XmlElement | undefined {
  const stack: XmlElement[] = [root];
  while (stack.length) {
    const e = stack.pop()!;
    if (e !== root && atIds.has(attr(e, 'id') ?? '')) return undefined;
    if (/^h[1-6]$/i.test(e.name)) return e;
    for (let i = e.children.length - 1; i >= 0; i--) {
      const c = e.children[i];
      if (typeof c !== 'string') stack.push(c);
    }
  }
  return undefined;
}

export function extractEpub(bytes: Uint8Array, fallbackTitle: string, progress?: (done: number, total: number) => void): DocumentModel {
  const zip = new ZipArchive(bytes, 'EPUB');
  if (!zip.has('META-INF/container.xml')) throw new QuireError('CORRUPT', 'EPUB: no META-INF/container.xml');
  const rootfile = descendants(readXml(zip, 'META-INF/container.xml'), 'rootfile')
    .map((r) => attr(r, 'full-path'))
    .find((p) => p && zip.has(p));
  if (!rootfile) throw new QuireError('CORRUPT', 'EPUB: container.xml names no package document');
  const opf = readXml(zip, rootfile);
  const manifest = firstElement(opf, 'manifest');
  const spine = firstElement(opf, 'spine');
  if (!manifest || !spine) throw new QuireError('CORRUPT', `EPUB ${rootfile}: no manifest or spine`);
  const items = new Map<string, Item>();
  for (const item of elements(manifest, 'item')) {
    const path = resolvePart(dirOf(rootfile), attr(item, 'href') ?? '');
    if (path) {
      items.set(attr(item, 'id') ?? '', {
        path,
        mediaType: (attr(item, 'media-type') ?? '').toLowerCase(),
        properties: (attr(item, 'properties') ?? '').split(/\s+/),
      });
    }
  }
  const warnings = new Set<string>();
  const toc = tocEntries(zip, items, attr(spine, 'toc'), warnings);
  // A table of contents the spine marks non-linear is an aside to the reading order: its entries are the chapter
  // anchors already, and its text would only repeat the chapter titles.
  const chapters = elements(spine, 'itemref')
    .map((ref) => ({ ref, item: items.get(attr(ref, 'idref') ?? '') }))
    .filter(({ ref, item }) => !(attr(ref, 'linear') === 'no' && item?.properties.includes('nav')))
    .map(({ item }) => item)
    .filter((item): item is Item => item !== undefined && CHAPTER_TYPES.has(item.mediaType));
  const builder = new TextBuilder();
  let missing = 0;
  for (const [index, item] of chapters.entries()) {
    if (!zip.has(item.path)) {
      missing++;
      continue;
    }
    const root = readChapter(zip, item.path, warnings);
    const titleElement = findElement(root, 'title');
    const entries = toc.get(item.path) ?? [];
    const atIds = new Map(entries.filter((e) => e.fragment !== undefined).map((e) => [e.fragment!, e.label]));
    const heading = firstHeading(findElement(root, 'body') ?? root, atIds);
    const label =
      entries.find((e) => e.fragment === undefined)?.label ||
      (heading && textContent(heading).trim()) ||
      (titleElement && textContent(titleElement).trim()) ||
      `Chapter ${index + 1}`;
    let chapter = builder.open('chapter', label);
    let split = false;
    // An entry's chapter starts at the element carrying its id: the text before it stays with the chapter
    // before, and an entry met before any text of the file only relabels the file's own anchor.
    const startAt = (element: XmlElement) => {
      const id = attr(element, 'id');
      const entryLabel = id === undefined ? undefined : atIds.get(id);
      if (entryLabel === undefined) return;
      atIds.delete(id!);
      split = true;
      if (chapter.start < 0) {
        chapter.label = entryLabel;
        return;
      }
      builder.close(chapter);
      chapter = builder.open('chapter', entryLabel);
    };
    renderMarkup(builder, findElement(root, 'body') ?? root, false, atIds.size ? startAt : undefined);
    // Ids the file does not have: the first entry still names the file, as a reader's TOC would show it.
    if (!split && entries.length && entries.every((e) => e.fragment !== undefined)) chapter.label = entries[0].label;
    builder.closeHeadings();
    builder.close(chapter);
    builder.separate('\n\n');
    progress?.(index + 1, chapters.length);
  }
  if (missing) warnings.add(`${missing} chapters listed in the spine are missing from the archive`);
  const metadata = firstElement(opf, 'metadata');
  const titleElement = metadata && firstElement(metadata, 'title');
  const title = (titleElement && textContent(titleElement).trim()) || fallbackTitle;
  return builder.model('epub', title, [...warnings]);
}
