import type { DocumentModel } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import { decodeXml } from './decode.ts';
import { TextBuilder, type OpenAnchor } from './text-builder.ts';
import { attr, descendants, elements, firstElement, parseXml, textContent, type XmlElement } from './xml.ts';
import { dirOf, resolvePart, ZipArchive } from './zip-guard.ts';
import { metadataTitle } from './detect.ts';
import { ommlText } from './docx-math.ts';
import { readHtml } from './html.ts';
import { findElement, renderMarkup } from './markup.ts';
import { decodePlain } from './text.ts';
import { rtfText } from './rtf.ts';

const MAIN_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml';
// Text inside these never shows on the page: deleted revisions and the source of a moved one (its destination,
// moveTo, holds the same text), field codes, properties (a content control's included), and the fallback copy of a
// text box that its mc:Choice already holds.
const INVISIBLE = new Set(['del', 'delText', 'moveFrom', 'instrText', 'pPr', 'rPr', 'sectPr', 'tblPr', 'trPr', 'tcPr', 'sdtPr', 'sdtEndPr', 'Fallback']);
// Containers that may wrap rows, cells and paragraphs without changing what they are: content controls,
// custom XML and smart tags.
const WRAPPERS = new Set(['sdt', 'sdtContent', 'customXml', 'smartTag']);

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

interface Relationship {
  id: string;
  // The last word of the relationship type (styles, footnotes, aFChunk …).
  type: string;
  target: string;
}

// The parts the main document links to (styles, footnotes, endnotes, embedded chunks) that the package holds.
function relationships(zip: ZipArchive, main: string): Relationship[] {
  const relsPart = `${dirOf(main)}/_rels/${main.slice(main.lastIndexOf('/') + 1)}.rels`.replace(/^\//, '');
  if (!zip.has(relsPart)) return [];
  return elements(readXml(zip, relsPart), 'Relationship').flatMap((rel) => {
    const target = resolvePart(dirOf(main), attr(rel, 'Target') ?? '');
    if (attr(rel, 'TargetMode') === 'External' || !target || !zip.has(target)) return [];
    return [{ id: attr(rel, 'Id') ?? '', type: (attr(rel, 'Type') ?? '').split('/').pop() ?? '', target }];
  });
}

// A part's content type: its Override in [Content_Types].xml, else the Default for its extension.
function contentType(zip: ZipArchive, part: string): string {
  if (!zip.has('[Content_Types].xml')) return '';
  const types = readXml(zip, '[Content_Types].xml');
  const override = elements(types, 'Override').find((o) => resolvePart('', attr(o, 'PartName') ?? '') === part);
  if (override) return (attr(override, 'ContentType') ?? '').toLowerCase();
  const extension = part.slice(part.lastIndexOf('.') + 1).toLowerCase();
  const fallback = elements(types, 'Default').find((d) => (attr(d, 'Extension') ?? '').toLowerCase() === extension);
  return (fallback && attr(fallback, 'ContentType')?.toLowerCase()) ?? '';
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

interface Comment {
  label: string;
  text: string;
}

// Comments are shown where Word shows them: after the text they comment on, as "[Comment by X: …]", with
// a `comment` anchor over the commented text and the comment together.
interface Comments {
  bodies: Map<string, Comment>;
  // Ids the document references (a comment is placed at its reference; one without, at its range's end).
  referenced: Set<string>;
  open: Map<string, OpenAnchor>;
  placed: Set<string>;
}

interface Context {
  levels: Map<string, number>;
  notes: Notes;
  comments: Comments;
  title: { text: string };
  // The part an altChunk's relationship id names, with its content type.
  chunk: (id: string) => { bytes: Uint8Array; type: string } | undefined;
  warnings: string[];
}

type Mark = { mark: 'start' | 'end' | 'reference'; id: string };
// A paragraph as text pieces, comment marks, gaps (a space that only shows between two pieces of text) and
// breaks (a text box's paragraphs inside it are paragraphs of their own).
const GAP = { gap: true } as const;
const BREAK = { paragraph: true } as const;
type Piece = string | Mark | typeof GAP | typeof BREAK;

const COMMENT_MARKS: Record<string, Mark['mark']> = { commentRangeStart: 'start', commentRangeEnd: 'end', commentReference: 'reference' };

// The visible text of a paragraph (or any run container), with note references numbered as met and the
// places where comments start, end and are referenced.
function runPieces(node: XmlElement, notes: Notes, pieces: Piece[] = []): Piece[] {
  let text = '';
  const flush = () => {
    if (text) pieces.push(text);
    text = '';
  };
  const stack: Array<XmlElement | typeof BREAK> = [node];
  while (stack.length) {
    const e = stack.pop()!;
    if ('paragraph' in e) {
      flush();
      pieces.push(BREAK);
      continue;
    }
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
      case 'commentRangeStart':
      case 'commentRangeEnd':
      case 'commentReference':
        flush();
        pieces.push({ mark: COMMENT_MARKS[e.name], id: attr(e, 'id') ?? '' });
        continue;
      case 'oMath':
        text += ommlText(e);
        continue;
      case 'txbxContent': {
        // A text box (or shape) anchored in this paragraph: a break before, between and after its paragraphs.
        const children = elements(e);
        stack.push(BREAK);
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i], BREAK);
        continue;
      }
    }
    if (INVISIBLE.has(e.name)) continue;
    const children = elements(e);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  flush();
  return pieces;
}

function runText(node: XmlElement, notes: Notes): string {
  return runPieces(node, notes)
    .filter((p): p is string => typeof p === 'string')
    .join('');
}

const piecesText = (pieces: Piece[]) => pieces.filter((p): p is string => typeof p === 'string').join('');

function placeComment(builder: TextBuilder, comments: Comments, id: string): void {
  const comment = comments.bodies.get(id);
  if (!comment || comments.placed.has(id)) return;
  comments.placed.add(id);
  const anchor = comments.open.get(id) ?? builder.open('comment', comment.label);
  builder.separate(' ');
  builder.append(`[${comment.label}${comment.text ? `: ${comment.text}` : ''}]`);
  builder.close(anchor);
}

function applyMark(builder: TextBuilder, comments: Comments, { mark, id }: Mark): void {
  const comment = comments.bodies.get(id);
  if (!comment || comments.placed.has(id)) return;
  if (mark === 'start' && !comments.open.has(id)) comments.open.set(id, builder.open('comment', comment.label));
  else if (mark === 'reference' || (mark === 'end' && !comments.referenced.has(id))) placeComment(builder, comments, id);
}

// Appends a paragraph's pieces; a break (a text box's paragraph) ends one paragraph of text and starts the next.
function appendPieces(builder: TextBuilder, pieces: Piece[], comments: Comments): void {
  let segment: Piece[] = [];
  for (const piece of pieces) {
    if (piece !== BREAK) {
      segment.push(piece);
      continue;
    }
    appendSegment(builder, segment, comments);
    builder.separate('\n\n');
    segment = [];
  }
  appendSegment(builder, segment, comments);
}

// Appends pieces between breaks, trimmed at both ends as a whole; a word right after a placed comment is kept
// apart from its closing bracket.
function appendSegment(builder: TextBuilder, pieces: Piece[], comments: Comments): void {
  const strings = pieces.map((p, i) => [p, i] as const).filter(([p]) => typeof p === 'string' && p.trim() !== '');
  const first = strings.length ? strings[0][1] : -1;
  const last = strings.length ? strings[strings.length - 1][1] : -1;
  let afterComment = false;
  pieces.forEach((piece, i) => {
    if (piece === GAP) builder.separate(' ');
    else if (typeof piece === 'string') {
      let text = i < first || i > last ? '' : piece;
      if (i === first) text = text.trimStart();
      if (i === last) text = text.trimEnd();
      if (afterComment && /^[\p{L}\p{N}]/u.test(text)) builder.separate(' ');
      builder.append(text);
      if (text) afterComment = false;
    } else if ('mark' in piece) {
      applyMark(builder, comments, piece);
      if (piece.mark !== 'start' && comments.placed.has(piece.id)) afterComment = true;
    }
  });
}

// Children named `name`, looking through wrappers (a content control around a row or a cell).
function wrapped(container: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  for (const e of elements(container)) {
    if (e.name === name) found.push(e);
    else if (WRAPPERS.has(e.name)) found.push(...wrapped(e, name));
  }
  return found;
}

// A cell's paragraphs in order, nested tables included, each a space apart: cell text stays on its row's line.
function cellPieces(container: XmlElement, notes: Notes, pieces: Piece[] = []): Piece[] {
  for (const block of elements(container)) {
    if (block.name === 'p') {
      pieces.push(GAP);
      runPieces(block, notes, pieces);
    } else if (block.name === 'commentRangeStart' || block.name === 'commentRangeEnd') {
      runPieces(block, notes, pieces);
    } else if (block.name === 'tbl' || block.name === 'tr' || block.name === 'tc' || WRAPPERS.has(block.name)) {
      cellPieces(block, notes, pieces);
    }
  }
  return pieces;
}

// Rows become lines with cells joined by " | " (an empty cell keeps its place); a row with a single cell is a
// layout box (letterheads, cover pages) and keeps its paragraphs as paragraphs; rows with no text are left
// out, so a blank form is not read as a grid of bars.
function renderTable(builder: TextBuilder, table: XmlElement, ctx: Context): void {
  builder.separate('\n\n');
  for (const row of wrapped(table, 'tr')) {
    const cells = wrapped(row, 'tc');
    if (cells.length === 1) {
      builder.separate('\n\n');
      renderBlocks(builder, cells[0], ctx);
      builder.separate('\n\n');
      continue;
    }
    const pieces = cells.map((cell) => cellPieces(cell, ctx.notes));
    if (pieces.every((p) => piecesText(p).trim() === '')) continue;
    builder.separate('\n');
    pieces.forEach((cell, i) => {
      if (i > 0) {
        builder.separate(' ');
        builder.append('|');
        builder.separate(' ');
      }
      appendPieces(builder, cell.map((p) => (typeof p === 'string' ? p.replace(/\s+/g, ' ') : p === BREAK ? GAP : p)), ctx.comments);
    });
    builder.separate('\n');
  }
  builder.separate('\n\n');
}

function renderBlocks(builder: TextBuilder, container: XmlElement, ctx: Context): void {
  for (const block of elements(container)) {
    if (block.name === 'p') {
      const pieces = runPieces(block, ctx.notes);
      const text = piecesText(pieces).trim();
      const styleId = attr(firstElement(firstElement(block, 'pPr') ?? block, 'pStyle') ?? block, 'val');
      const outline = firstElement(firstElement(block, 'pPr') ?? block, 'outlineLvl');
      const level = (styleId && ctx.levels.get(styleId)) || (outline ? Number(attr(outline, 'val')) + 1 : undefined);
      if (text && level && level >= 1 && level <= 9) {
        builder.heading(level, text);
        if (!ctx.title.text && styleId && /^title$/i.test(styleId)) ctx.title.text = text;
      }
      appendPieces(builder, pieces, ctx.comments);
      // A drop cap is a framed paragraph of its own holding the first letter of the next one's first word.
      const dropCap = attr(firstElement(firstElement(block, 'pPr') ?? block, 'framePr') ?? block, 'dropCap');
      if (!text || !dropCap || dropCap === 'none') builder.separate('\n\n');
    } else if (block.name === 'tbl') {
      renderTable(builder, block, ctx);
    } else if (block.name === 'commentRangeStart' || block.name === 'commentRangeEnd') {
      // Ranges may open and close between paragraphs.
      appendPieces(builder, runPieces(block, ctx.notes), ctx.comments);
    } else if (block.name === 'altChunk') {
      renderChunk(builder, attr(block, 'id') ?? '', ctx);
    } else if (WRAPPERS.has(block.name)) {
      renderBlocks(builder, block, ctx);
    }
  }
}

// An embedded part that stands in the body (altChunk): a document whose body is HTML pasted in, plain text or
// RTF. Other types (a nested .docx, MHT) are named in a warning.
function renderChunk(builder: TextBuilder, id: string, ctx: Context): void {
  const chunk = ctx.chunk(id);
  if (!chunk) return;
  builder.separate('\n\n');
  if (/^(?:text\/html|application\/xhtml\+xml)/.test(chunk.type)) {
    const { root, warnings } = readHtml(chunk.bytes);
    renderMarkup(builder, findElement(root, 'body') ?? root);
    ctx.warnings.push(...warnings);
  } else if (chunk.type.startsWith('text/plain') || /^(?:application|text)\/rtf/.test(chunk.type)) {
    // Plain text separates paragraphs by a blank line; RTF ends each with \par, one newline.
    const rtf = !chunk.type.startsWith('text/plain');
    const plain = rtf ? { text: rtfText(new TextDecoder('latin1').decode(chunk.bytes)), warnings: [] } : decodePlain(chunk.bytes);
    for (const paragraph of plain.text.split(rtf ? /\n+/ : /\n\s*\n/)) {
      builder.append(paragraph.trim());
      builder.separate('\n\n');
    }
    ctx.warnings.push(...plain.warnings);
  } else {
    ctx.warnings.push(`an embedded part of type ${chunk.type || 'unknown'} was not read`);
  }
  builder.separate('\n\n');
}

// A comment's paragraphs in order, those of its tables (Word allows them there) included, cell by cell.
function commentParagraphs(container: XmlElement): XmlElement[] {
  return elements(container).flatMap((e) => (e.name === 'p' ? [e] : e.name === 'tbl' ? descendants(e, 'p') : WRAPPERS.has(e.name) ? commentParagraphs(e) : []));
}

function readComments(zip: ZipArchive, part: string | undefined, notes: Notes): Map<string, Comment> {
  const bodies = new Map<string, Comment>();
  if (!part) return bodies;
  for (const comment of elements(readXml(zip, part), 'comment')) {
    const author = (attr(comment, 'author') ?? '').replace(/\s+/g, ' ').trim();
    const paragraphs = commentParagraphs(comment).map((p) => runText(p, notes).replace(/\s+/g, ' ').trim());
    bodies.set(attr(comment, 'id') ?? '', { label: author ? `Comment by ${author}` : 'Comment', text: paragraphs.filter(Boolean).join(' ') });
  }
  return bodies;
}

export function extractDocx(bytes: Uint8Array, fallbackTitle: string): DocumentModel {
  const zip = new ZipArchive(bytes, 'DOCX');
  const main = mainPart(zip);
  const rels = relationships(zip, main);
  const related = new Map<string, string>();
  for (const { type, target } of rels) if (!related.has(type)) related.set(type, target);
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
  const comments: Comments = {
    bodies: readComments(zip, related.get('comments'), { bodies: new Map(), order: [] }),
    referenced: new Set(descendants(body, 'commentReference').map((r) => attr(r, 'id') ?? '')),
    open: new Map(),
    placed: new Set(),
  };
  const warnings: string[] = [];
  const chunk = (id: string) => {
    const rel = rels.find((r) => r.id === id && r.type === 'aFChunk');
    return rel && { bytes: zip.read(rel.target), type: contentType(zip, rel.target) };
  };
  renderBlocks(builder, body, { levels, notes, comments, title, chunk, warnings });
  // A range that never ended and was never referenced still shows its comment, at the end of the text.
  for (const id of comments.open.keys()) {
    if (comments.placed.has(id)) continue;
    builder.separate('\n\n');
    placeComment(builder, comments, id);
  }
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
  return builder.model('docx', metadataTitle(coreTitle) || title.text || fallbackTitle, warnings);
}
