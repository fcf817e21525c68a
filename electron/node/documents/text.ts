import type { Anchor, DocumentModel } from '../../common/document.ts';
import { READABLE_FORMATS } from '../../common/document-files.ts';
import { QuireError } from '../../common/errors.ts';
import { decodeText, looksBinary } from './decode.ts';
import { TextBuilder } from './text-builder.ts';

// `nul` replaces NUL characters before the binary-data check (WebVTT reads them as U+FFFD).
export function decodePlain(bytes: Uint8Array, declared?: string, options: { html?: boolean; nul?: string } = {}): { text: string; warnings: string[] } {
  const decoded = decodeText(bytes, declared, options);
  const text = options.nul === undefined ? decoded.text : decoded.text.replaceAll('\0', options.nul);
  const { warnings } = decoded;
  if (looksBinary(text)) throw new QuireError('UNSUPPORTED_FORMAT', `binary data, not text: Quire reads ${READABLE_FORMATS}`);
  return { text: text.replace(/\r\n?/g, '\n'), warnings };
}

interface MarkdownHeading {
  level: number;
  label: string;
  start: number;
}

// ATX (`## Title`) and setext (`Title` over `===`/`---`) headings outside fenced code blocks.
function markdownHeadings(text: string): MarkdownHeading[] {
  const headings: MarkdownHeading[] = [];
  let fence: string | undefined;
  let previous: { text: string; start: number } | undefined;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    const fenceMark = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (fenceMark && fenceMark[0] === fence[0] && fenceMark.length >= fence.length) fence = undefined;
      previous = undefined;
    } else if (fenceMark) {
      fence = fenceMark;
      previous = undefined;
    } else {
      const atx = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
      const setext = /^ {0,3}(=+|-+)[ \t]*$/.exec(line);
      if (atx) {
        headings.push({ level: atx[1].length, label: atx[2] ?? '', start });
        previous = undefined;
      } else if (setext && previous && !/^ {0,3}([-*+>]|\d+[.)])\s/.test(previous.text)) {
        headings.push({ level: setext[1][0] === '=' ? 1 : 2, label: previous.text.trim(), start: previous.start });
        previous = undefined;
      } else {
        previous = line.trim() === '' ? undefined : { text: line, start };
      }
    }
    start = end + 1;
  }
  return headings;
}

// A heading's anchor runs to the next heading of the same or a higher level.
function sectionAnchors(headings: MarkdownHeading[], length: number): Anchor[] {
  const anchors: Anchor[] = [];
  const open: Array<{ level: number; anchor: Anchor }> = [];
  for (const h of headings) {
    while (open.length && open[open.length - 1].level >= h.level) open.pop()!.anchor.end = h.start;
    const anchor: Anchor = { kind: 'heading', label: h.label.trim(), start: h.start, end: length };
    anchors.push(anchor);
    open.push({ level: h.level, anchor });
  }
  return anchors.filter((a) => a.label !== '');
}

// A plain-text book's chapter lines: "CHAPTER I.", "Chapter 12", "BOOK TWO", "Part the First", a roman numeral
// alone ("XIV."), or a Markdown heading ("# Prologue"), each standing alone between blank lines (a table of
// contents lists them line after line, and prose mentions them mid-sentence). A short line alone after it is
// its title ("CHAPTER I." then "Down the Rabbit-Hole").
const NUMBER_WORDS = 'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last';
const CHAPTER_LINE = new RegExp(
  `^\\s{0,8}(?:(?:chapter|book|part|volume|act|stave|letter|canto)\\s+(?:the\\s+)?(?:\\d{1,4}|[ivxlcdm]{1,8}|(?:${NUMBER_WORDS})(?:[\\s-](?:${NUMBER_WORDS}))?)\\b[^\\n]{0,60}|[IVXLC]{1,7}\\.?|#{1,6}\\s+\\S[^\\n]{0,78})\\s*$`,
  'i',
);
// A heading whose section holds less than this is a table of contents' entry, not a chapter.
const MIN_CHAPTER_CHARS = 200;

interface TextChapter {
  start: number;
  label: string;
}

export function plainTextChapters(text: string): TextChapter[] {
  const found: TextChapter[] = [];
  for (const m of text.matchAll(/^[^\n]+$/gm)) {
    const line = m[0];
    const start = m.index;
    const end = start + line.length;
    if (line.length > 80 || !CHAPTER_LINE.test(line)) continue;
    // Between blank lines (or at the text's start): a line of its own, not a line of a list or of prose.
    if (!(start === 0 || text.startsWith('\n\n', start - 2) || /\n[ \t]*\n$/.test(text.slice(Math.max(0, start - 4), start)))) continue;
    const after = /^\n[ \t]*\n+([^\n]+)\n(?:[ \t]*\n|$)/.exec(text.slice(end, end + 200));
    if (!after && !/^(?:\n[ \t]*\n|\s*$)/.test(text.slice(end, end + 4))) continue;
    const heading = line.trim().replace(/^#+\s+/, '');
    const title = after && after[1].trim().length <= 60 && !CHAPTER_LINE.test(after[1]) && !/[.!?,;:]["'”’]?$/.test(after[1].trim()) ? after[1].trim() : '';
    found.push({ start, label: title ? `${heading} ${title}` : heading });
  }
  return found.filter((c, i) => (found[i + 1]?.start ?? text.length) - c.start >= MIN_CHAPTER_CHARS);
}

// Project Gutenberg's header names the book ("Title: Pride and Prejudice", a long title going on indented).
function gutenbergTitle(text: string): string {
  const head = text.slice(0, 8000);
  if (!/project gutenberg/i.test(head)) return '';
  const m = /^Title:[ \t]*(.+(?:\n[ \t]+\S.*)*)$/m.exec(head);
  return m ? m[1].replace(/\s+/g, ' ').trim() : '';
}

export function extractText(bytes: Uint8Array, title: string, markdown: boolean): DocumentModel {
  const { text: decoded, warnings } = decodePlain(bytes);
  const builder = new TextBuilder();
  builder.append(decoded.trim());
  const model = builder.model(markdown ? 'md' : 'txt', title, warnings);
  if (markdown) {
    const headings = markdownHeadings(model.text);
    model.anchors = sectionAnchors(headings, model.chars);
    const h1 = headings.find((h) => h.level === 1 && h.label);
    if (h1) model.title = h1.label;
    return model;
  }
  // Two chapters at least: one such line is a mention, not the book's structure.
  const chapters = plainTextChapters(model.text);
  if (chapters.length >= 2) {
    model.anchors = chapters.map((c, i) => ({ kind: 'chapter', label: c.label, start: c.start, end: chapters[i + 1]?.start ?? model.chars }));
  }
  model.title = gutenbergTitle(model.text) || model.title;
  return model;
}
