import type { DocumentModel } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import { decodeXml } from './decode.ts';
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
// parser (which refuses entity declarations and deep nesting), anything else through the HTML parser.
function readChapter(zip: ZipArchive, part: string, warnings: Set<string>): XmlElement {
  const text = decodeXml(zip.read(part), `EPUB ${part}`);
  try {
    return parseXml(text, `EPUB ${part}`);
  } catch (error) {
    if (!(error instanceof QuireError) || error.code !== 'CORRUPT') throw error;
  }
  const { root, flattened } = parseHtml(text);
  if (flattened) warnings.add(FLATTENED_WARNING);
  return root;
}

// Table-of-contents titles per chapter file, from the EPUB 3 nav document or else the EPUB 2 NCX; the first
// entry pointing into a file names it.
function tocTitles(zip: ZipArchive, items: Map<string, Item>, ncxId: string | undefined, warnings: Set<string>): Map<string, string> {
  const titles = new Map<string, string>();
  const add = (base: string, href: string | undefined, label: string) => {
    const path = href && resolvePart(dirOf(base), href);
    if (path && label.trim() && !titles.has(path)) titles.set(path, label.replace(/\s+/g, ' ').trim());
  };
  const nav = [...items.values()].find((i) => i.properties.includes('nav'));
  if (nav && zip.has(nav.path)) {
    const root = readChapter(zip, nav.path, warnings);
    const navs = descendants(root, 'nav');
    const toc = navs.find((n) => (attr(n, 'type') ?? '').split(/\s+/).includes('toc')) ?? navs[0];
    for (const a of toc ? descendants(toc, 'a') : []) add(nav.path, attr(a, 'href'), textContent(a));
  }
  const ncx = ncxId ? items.get(ncxId) : undefined;
  if (titles.size === 0 && ncx && zip.has(ncx.path)) {
    for (const point of descendants(readXml(zip, ncx.path), 'navPoint')) {
      const label = firstElement(firstElement(point, 'navLabel') ?? point, 'text');
      add(ncx.path, attr(firstElement(point, 'content') ?? point, 'src'), label ? textContent(label) : '');
    }
  }
  return titles;
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
  const titles = tocTitles(zip, items, attr(spine, 'toc'), warnings);
  const chapters = elements(spine, 'itemref')
    .map((ref) => items.get(attr(ref, 'idref') ?? ''))
    .filter((item): item is Item => item !== undefined && CHAPTER_TYPES.has(item.mediaType));
  const builder = new TextBuilder();
  let missing = 0;
  for (const [index, item] of chapters.entries()) {
    if (!zip.has(item.path)) {
      missing++;
      continue;
    }
    const root = readChapter(zip, item.path, warnings);
    const heading = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => findElement(root, h)).find(Boolean);
    const titleElement = findElement(root, 'title');
    const label =
      titles.get(item.path) ||
      (heading && textContent(heading).trim()) ||
      (titleElement && textContent(titleElement).trim()) ||
      `Chapter ${index + 1}`;
    const chapter = builder.open('chapter', label);
    renderMarkup(builder, findElement(root, 'body') ?? root);
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
