import type { DocumentModel } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import { decodeXml } from './decode.ts';
import { TextBuilder } from './text-builder.ts';
import { attr, descendants, elements, firstElement, parseXml, textContent, type XmlElement } from './xml.ts';
import { dirOf, resolvePart, ZipArchive } from './zip-guard.ts';

const MAIN_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml';
// Text inside these never shows on the page: deleted revisions, field codes, properties.
const INVISIBLE = new Set(['del', 'delText', 'instrText', 'pPr', 'rPr', 'sectPr', 'tblPr', 'trPr', 'tcPr']);

function readXml(zip: ZipArchive, part: string): XmlElement {
  return parseXml(decodeXml(zip.read(part), `DOCX ${part}`), `DOCX ${part}`);
}

function mainPart(zip: ZipArchive): string {
  if (zip.has('[Content_Types].xml')) {
    const types = readXml(zip, '[Content_Types].xml');
    const main = elements(types, 'Override').find((o) => attr(o, 'ContentType') === MAIN_CONTENT_TYPE);
    const name = main && resolvePart('', attr(main, 'PartName') ?? '');
    if (name && zip.has(name)) return name;
  }
  if (zip.has('word/document.xml')) return 'word/document.xml';
  throw new QuireError('CORRUPT', 'DOCX: no main document part (word/document.xml)');
}

// Parts the main document links to (styles, footnotes, endnotes), by the last word of the relationship type.
function relatedParts(zip: ZipArchive, main: string): Map<string, string> {
  const related = new Map<string, string>();
  const relsPart = `${dirOf(main)}/_rels/${main.slice(main.lastIndexOf('/') + 1)}.rels`.replace(/^\//, '');
  if (!zip.has(relsPart)) return related;
  for (const rel of elements(readXml(zip, relsPart), 'Relationship')) {
    const type = (attr(rel, 'Type') ?? '').split('/').pop() ?? '';
    const target = resolvePart(dirOf(main), attr(rel, 'Target') ?? '');
    if (attr(rel, 'TargetMode') !== 'External' && target && zip.has(target) && !related.has(type)) related.set(type, target);
  }
  return related;
}

// Heading level per paragraph style id: "heading N" styles, outline levels, and styles based on either;
// "Title" counts as a level-1 heading.
function headingLevels(styles: XmlElement | undefined): Map<string, number> {
  const levels = new Map<string, number>();
  if (!styles) return levels;
  const byId = new Map(elements(styles, 'style').map((s) => [attr(s, 'styleId') ?? '', s]));
  const own = (style: XmlElement): number | undefined => {
    const name = (attr(firstElement(style, 'name') ?? style, 'val') ?? '').toLowerCase();
    const heading = /^heading\s*([1-9])$/.exec(name);
    if (heading) return Number(heading[1]);
    if (name === 'title') return 1;
    const outline = firstElement(firstElement(style, 'pPr') ?? style, 'outlineLvl');
    const level = outline ? Number(attr(outline, 'val')) : NaN;
    return level >= 0 && level < 9 ? level + 1 : undefined;
  };
  for (const [id, style] of byId) {
    let current: XmlElement | undefined = style;
    for (let hops = 0; current && hops < 10; hops++) {
      const level = own(current);
      if (level !== undefined) {
        levels.set(id, level);
        break;
      }
      const basedOn = firstElement(current, 'basedOn');
      current = basedOn ? byId.get(attr(basedOn, 'val') ?? '') : undefined;
    }
  }
  return levels;
}

interface Notes {
  bodies: Map<string, XmlElement>;
  order: Array<{ id: string; number: number }>;
}

function noteBodies(zip: ZipArchive, part: string | undefined, element: string): Map<string, XmlElement> {
  const bodies = new Map<string, XmlElement>();
  if (!part) return bodies;
  for (const note of elements(readXml(zip, part), element)) {
    const type = attr(note, 'type');
    if (type !== 'separator' && type !== 'continuationSeparator' && type !== 'continuationNotice') bodies.set(attr(note, 'id') ?? '', note);
  }
  return bodies;
}

// The visible text of a paragraph (or any run container), with note references numbered as met.
function runText(node: XmlElement, notes: Notes): string {
  let text = '';
  const stack: XmlElement[] = [node];
  while (stack.length) {
    const e = stack.pop()!;
    switch (e.name) {
      case 't':
        text += textContent(e);
        continue;
      case 'tab':
        text += '\t';
        continue;
      case 'br':
      case 'cr':
        text += '\n';
        continue;
      case 'noBreakHyphen':
        text += '-';
        continue;
      case 'footnoteReference':
      case 'endnoteReference': {
        const id = `${e.name[0]}${attr(e, 'id')}`;
        const number = notes.order.length + 1;
        notes.order.push({ id, number });
        text += `[${number}]`;
        continue;
      }
    }
    if (INVISIBLE.has(e.name)) continue;
    const children = elements(e);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return text;
}

function renderBlocks(builder: TextBuilder, container: XmlElement, levels: Map<string, number>, notes: Notes, title: { text: string }): void {
  for (const block of elements(container)) {
    if (block.name === 'p') {
      const text = runText(block, notes).trim();
      const styleId = attr(firstElement(firstElement(block, 'pPr') ?? block, 'pStyle') ?? block, 'val');
      const outline = firstElement(firstElement(block, 'pPr') ?? block, 'outlineLvl');
      const level = (styleId && levels.get(styleId)) || (outline ? Number(attr(outline, 'val')) + 1 : undefined);
      if (text && level && level >= 1 && level <= 9) {
        builder.heading(level, text);
        if (!title.text && styleId && /^title$/i.test(styleId)) title.text = text;
      }
      builder.append(text);
      builder.separate('\n\n');
    } else if (block.name === 'tbl') {
      for (const row of elements(block, 'tr')) {
        const cells = elements(row, 'tc').map((cell) => runText(cell, notes).replace(/\s+/g, ' ').trim());
        builder.append(cells.join(' | ').trim());
        builder.separate('\n');
      }
      builder.separate('\n\n');
    } else if (block.name === 'sdt' || block.name === 'sdtContent' || block.name === 'customXml') {
      renderBlocks(builder, block, levels, notes, title);
    }
  }
}

export function extractDocx(bytes: Uint8Array, fallbackTitle: string): DocumentModel {
  const zip = new ZipArchive(bytes, 'DOCX');
  const main = mainPart(zip);
  const related = relatedParts(zip, main);
  const styles = related.get('styles');
  const levels = headingLevels(styles ? readXml(zip, styles) : undefined);
  if (!styles) for (let n = 1; n <= 9; n++) levels.set(`Heading${n}`, n);
  const notes: Notes = {
    bodies: new Map([
      ...[...noteBodies(zip, related.get('footnotes'), 'footnote')].map(([id, e]) => [`f${id}`, e] as const),
      ...[...noteBodies(zip, related.get('endnotes'), 'endnote')].map(([id, e]) => [`e${id}`, e] as const),
    ]),
    order: [],
  };
  const document = readXml(zip, main);
  const body = firstElement(document, 'body');
  if (!body) throw new QuireError('CORRUPT', `DOCX ${main}: no document body`);
  const builder = new TextBuilder();
  const title = { text: '' };
  renderBlocks(builder, body, levels, notes, title);
  const referenced = notes.order.filter((n) => notes.bodies.has(n.id));
  if (referenced.length) {
    builder.separate('\n\n');
    builder.heading(1, 'Notes');
    builder.append('Notes');
    builder.separate('\n\n');
    for (const { id, number } of referenced) {
      const paragraphs = descendants(notes.bodies.get(id)!, 'p').map((p) => runText(p, { bodies: notes.bodies, order: [] }).trim());
      builder.append(`[${number}] ${paragraphs.filter(Boolean).join(' ')}`);
      builder.separate('\n');
    }
  }
  const core = zip.has('docProps/core.xml') ? readXml(zip, 'docProps/core.xml') : undefined;
  const titleElement = core && firstElement(core, 'title');
  const coreTitle = titleElement ? textContent(titleElement).trim() : '';
  return builder.model('docx', coreTitle || title.text || fallbackTitle, []);
}
