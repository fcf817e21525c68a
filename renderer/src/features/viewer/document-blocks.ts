import type { Anchor } from '../../../../electron/common/document.ts';
import { markdownBlocks, type Block } from './markdown-blocks.ts';
import type { Section } from './sections.ts';
import { textBlocks, type TextBlock } from './text-blocks.ts';

// The whole document as one list of blocks, in reading order, for the viewer's one scrolling column: each
// section's blocks (Markdown's or text-blocks.ts's), a section label before a page, a cue run or a chapter not
// opening with its name (a plain text's parts are cut by size, so they get none). `start` is
// where the item's source begins in the text; the list is sorted by it. Text not fetched yet (before and after
// `loaded`) is one `pending` item each side, as tall as its text will be, so the column has its length from the
// first paint.
export type ViewerItem =
  | { kind: 'label'; start: number; section: number }
  | { kind: 'text'; start: number; chars: number; block: TextBlock }
  | { kind: 'markdown'; start: number; chars: number; block: Block }
  | { kind: 'pending'; start: number; chars: number };

function textStart(block: TextBlock): number {
  return block.kind === 'table' ? block.rows[0][0].start : block.piece.start;
}

export function documentItems(doc: { text: string; anchors: Anchor[]; format: string; loaded?: { start: number; end: number } }, sections: Section[]): ViewerItem[] {
  const items: ViewerItem[] = [];
  // An item's size in characters (for its height until it is drawn) runs to the next item.
  const push = (item: ViewerItem) => {
    const last = items.at(-1);
    if (last && last.kind !== 'label') last.chars = item.start - last.start;
    items.push(item);
  };
  const { start: from, end: to } = wholeParagraphs(doc.text, doc.loaded);
  if (from > 0) push({ kind: 'pending', start: 0, chars: 0 });
  sections.forEach((section, index) => {
    const part = { start: Math.max(section.start, from), end: Math.min(section.end, to) };
    if (part.start >= part.end) return;
    if (part.start === section.start && labelled(doc.text, section)) push({ kind: 'label', start: section.start, section: index });
    if (doc.format === 'md') {
      for (const block of markdownBlocks(doc.text.slice(part.start, part.end), part.start)) push({ kind: 'markdown', start: block.at, chars: 0, block });
    } else {
      for (const block of textBlocks(doc, part)) push({ kind: 'text', start: textStart(block), chars: 0, block });
    }
  });
  if (to < doc.text.length) push({ kind: 'pending', start: to, chars: 0 });
  const last = items.at(-1);
  if (last && last.kind !== 'label') last.chars = doc.text.length - last.start;
  return items;
}

// The fetched text with the paragraphs cut at its edges left out (they are drawn whole once the rest arrives);
// a window inside one long paragraph is drawn as it is.
function wholeParagraphs(text: string, loaded?: { start: number; end: number }): { start: number; end: number } {
  if (!loaded) return { start: 0, end: text.length };
  let { start, end } = loaded;
  if (start > 0) {
    const gap = text.indexOf('\n\n', start);
    if (gap >= 0 && gap + 2 < end) start = gap + 2;
  }
  if (end < text.length) {
    const gap = text.lastIndexOf('\n\n', end - 2);
    if (gap > start) end = gap;
  }
  return { start, end };
}

// A section opening with its own title (a heading, a chapter whose first line is its name) is not labelled again.
function labelled(text: string, section: Section): boolean {
  if (section.kind === 'heading' || section.kind === 'part') return false;
  return !text.slice(section.start, section.start + section.label.length + 20).trimStart().startsWith(section.label);
}

// The item an offset falls in: the last one starting at or before it (of several starting there, the first: a
// section's label before its first block).
export function itemAt(items: ViewerItem[], offset: number): number {
  let [low, high] = [0, items.length - 1];
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (items[mid].start <= offset) low = mid;
    else high = mid - 1;
  }
  while (low > 0 && items[low - 1].start === items[low].start) low--;
  return low;
}
