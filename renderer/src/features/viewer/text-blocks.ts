import type { Anchor } from '../../../../electron/common/document.ts';

// A run of the document's text with its offset in the document, so a highlight in document offsets lands on it.
export interface Piece {
  start: number;
  text: string;
}

// What the viewer draws for one section of a document that is not Markdown: subtitle cues with their times,
// headings as headings, rows of cells joined by " | " (how DOCX, HTML and EPUB tables are written into the
// text) as tables, and every other paragraph as it is.
export type TextBlock =
  | { kind: 'cue'; time: string; piece: Piece }
  | { kind: 'heading'; piece: Piece }
  | { kind: 'table'; rows: Piece[][] }
  | { kind: 'paragraph'; piece: Piece };

const CELL_SEPARATOR = ' | ';

// The paragraphs of text[start, end), with their offsets.
function paragraphs(text: string, start: number, end: number): Piece[] {
  const out: Piece[] = [];
  const gap = /\n{2,}/g;
  gap.lastIndex = start;
  let at = start;
  for (let m = gap.exec(text); m && m.index < end; m = gap.exec(text)) {
    if (m.index > at) out.push({ start: at, text: text.slice(at, m.index) });
    at = m.index + m[0].length;
  }
  if (at < end) out.push({ start: at, text: text.slice(at, end) });
  return out;
}

// A paragraph whose every line has the same number of cells, two at least, is a table; its cells keep offsets.
function tableRows(paragraph: Piece): Piece[][] | undefined {
  const rows: Piece[][] = [];
  let lineStart = paragraph.start;
  for (const line of paragraph.text.split('\n')) {
    const cells: Piece[] = [];
    let at = 0;
    for (const cell of line.split(CELL_SEPARATOR)) {
      cells.push({ start: lineStart + at, text: cell });
      at += cell.length + CELL_SEPARATOR.length;
    }
    rows.push(cells);
    lineStart += line.length + 1;
  }
  return rows[0].length >= 2 && rows.every((r) => r.length === rows[0].length) ? rows : undefined;
}

export function textBlocks(doc: { text: string; anchors: Anchor[]; format: string }, section: { start: number; end: number }): TextBlock[] {
  const inSection = (a: Anchor) => a.start >= section.start && a.start < section.end;
  if (doc.format === 'srt' || doc.format === 'vtt') {
    return doc.anchors
      .filter((a) => a.kind === 'cue' && inSection(a))
      .map((a) => ({ kind: 'cue', time: a.label, piece: { start: a.start, text: doc.text.slice(a.start, a.end).replace(/\n+$/, '') } }));
  }
  // A heading anchor opens with its own words: that paragraph is the heading.
  const headings = new Map(doc.anchors.filter((a) => a.kind === 'heading' && inSection(a)).map((a) => [a.start, a.label]));
  return paragraphs(doc.text, section.start, section.end).map((piece): TextBlock => {
    const heading = headings.get(piece.start);
    if (heading !== undefined && heading === piece.text.replace(/\s+/g, ' ').trim()) return { kind: 'heading', piece };
    const rows = piece.text.includes(CELL_SEPARATOR) ? tableRows(piece) : undefined;
    return rows ? { kind: 'table', rows } : { kind: 'paragraph', piece };
  });
}
