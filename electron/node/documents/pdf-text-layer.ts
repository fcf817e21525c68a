// A page's text layer as pdf.js gives it (text items in content-stream order) turned into lines and paragraphs
// in reading order: letter-spaced runs rejoined, right-to-left runs put in logical order, vertical columns
// read top to bottom, presentation forms decomposed, and pages whose fonts have no Unicode map told apart.

import { splitWords, type WordBreaks } from './pdf-word-breaks.ts';

export interface TextItem {
  str: string;
  // pdf.js's direction of the item, after it has put the item's own characters in logical order.
  dir?: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
}

export interface Line {
  text: string;
  // The baseline, or for a vertical column its x (columns follow each other right to left, as lines go down).
  y: number;
  size: number;
  // Where a horizontal line starts: tells a column of vertical CJK set one glyph a line from a page's columns.
  x?: number;
}

// pdf.js writes a space into an item wherever the gap after a glyph is between 0.102 and 0.6 em, and ends the
// item at a larger gap. Glyphs of normal text abut, so an item in which every glyph is followed by such a
// space is a letter-spaced run (character spacing, Tc, at or above a tenth of the font size): its spaces are
// the tracking. Its word spaces — the space glyph plus twice the tracking — are gaps between items when
// over 0.6 em, and otherwise only the glyphs can tell them (pdf-word-breaks.ts). Two letters at least, so
// that spaced digits ("(1 0 0)") and lone initials stay as written.
const LETTER_SPACED = /^(?:\S ){2,}\S$/u;
// Han, kana (with the marks they share, such as the long vowel ー) and CJK punctuation: Chinese and Japanese
// put no spaces between words, so two spaced characters of theirs are already tracking, and lines of them
// join without a space (Korean, which spaces its words, is left out).
const CJK_CHAR = '[\\p{Script_Extensions=Han}\\p{Script_Extensions=Hiragana}\\p{Script_Extensions=Katakana}\\u3000-\\u303F\\uFF00-\\uFFEF]';
const CJK_AT_END = new RegExp(`${CJK_CHAR}$`, 'u');
const CJK_AT_START = new RegExp(`^${CJK_CHAR}`, 'u');
const CJK_SPACED = new RegExp(`^(?:${CJK_CHAR} )+${CJK_CHAR}$`, 'u');
const isLetterSpaced = (s: string) => (LETTER_SPACED.test(s) && (s.match(/\p{L}/gu)?.length ?? 0) >= 2) || CJK_SPACED.test(s);
// With the page's glyphs to say where words end, a run that is mostly single glyphs between spaces ("9 Te m a
// s e k", with a kerned pair; "2 0 2 4") is taken as letter-spaced too: the glyph gaps decide, and spaced
// digits set with space glyphs ("1 0 0") keep them. Tokens are the runs between single spaces, their length in
// code points, counted in one pass without allocating: every run of every page is asked.
function mostlySpaced(s: string): boolean {
  let tokens = 0;
  let single = 0;
  let length = 0;
  for (let i = 0; i <= s.length; i++) {
    const code = i < s.length ? s.charCodeAt(i) : 0x20;
    if (code === 0x20) {
      if (length === 0) return false;
      tokens++;
      if (length === 1) single++;
      length = 0;
    } else if (!(isLowSurrogate(code) && i > 0 && isHighSurrogate(s.charCodeAt(i - 1)))) length++;
  }
  return tokens >= 3 && single >= tokens * 0.75;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

export const hasLetterSpacing = (items: TextItem[]) =>
  items.some((i) => {
    const core = i.str.trim();
    return isLetterSpaced(core) || mostlySpaced(core);
  });

// A letter-spaced item's letters, its spaces dropped, with the word spaces the page's glyphs show put back
// (pdf-word-breaks.ts); other items as they are.
type Unspacer = (str: string) => string;

function unspacer(words?: WordBreaks): Unspacer {
  let cursor = 0;
  return (str) => {
    const core = str.trim();
    if (!isLetterSpaced(core) && !(words && mostlySpaced(core))) return str;
    const letters = core.replace(/ /g, '');
    const split = words && splitWords(letters, words, cursor);
    if (split) cursor = split.next;
    return (/^\s/.test(str) ? ' ' : '') + (split?.text ?? letters) + (/\s$/.test(str) ? ' ' : '');
  };
}

// Arabic presentation forms (contextual shapes and ligatures such as lam-alef, which fonts map to one code
// point) and the vertical forms of CJK punctuation read as the letters they stand for.
const PRESENTATION_FORMS = /[\uFB50-\uFDFF\uFE70-\uFEFF\uFE10-\uFE19\uFE30-\uFE4F]+/gu;
const decomposePresentationForms = (s: string) => s.replace(PRESENTATION_FORMS, (run) => run.normalize('NFKC'));

// Strong right-to-left letters (Hebrew, Arabic, Syriac, Thaana, NKo and their presentation forms), strong
// left-to-right letters (any other letter), and neutrals (spaces, punctuation, digits).
const RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/u;
const LTR = /\p{L}/u;
const RTL_LETTERS = new RegExp(RTL, 'gu');
type Direction = 'L' | 'R' | 'N';
const isRtl = (item: TextItem) => item.dir === 'rtl' || RTL.test(item.str);
const direction = (item: TextItem): Direction => (isRtl(item) ? 'R' : LTR.test(item.str.replace(RTL_LETTERS, '')) ? 'L' : 'N');

// pdf.js puts the characters of each item in logical order, but a line of several items is in the order the
// producer drew them, which for right-to-left text is visual (left to right on the page). This is the part
// of the Unicode bidirectional algorithm (UAX #9) that applies at item granularity. The line's direction is
// that of most of its strong letters, or of its first strong item on a tie (rules P2 and P3 take the first
// strong letter in logical order, which is what is being computed here); a neutral between two items of one
// direction takes it, other neutrals take the line's direction (N1, N2); then, from the items in visual
// order, the line's runs are reversed as rule L2 does for two levels: an RTL line is reversed whole and its
// left-to-right runs turned back, an LTR line has its right-to-left runs reversed.
export function logicalOrder(lineItems: TextItem[]): TextItem[] {
  if (!lineItems.some(isRtl)) return lineItems;
  const items = lineItems.flatMap(splitNumbers);
  const dirs = items.map(direction);
  const visual = items.map((item, i) => ({ item, dir: dirs[i] })).sort((a, b) => a.item.transform[4] - b.item.transform[4]);
  const letters = (pattern: RegExp) => items.reduce((n, i) => n + (i.str.match(pattern)?.length ?? 0), 0);
  const rtlLetters = letters(RTL_LETTERS);
  const ltrLetters = letters(/\p{L}/gu) - rtlLetters;
  const base = rtlLetters === ltrLetters ? dirs.find((d) => d !== 'N')! : rtlLetters > ltrLetters ? 'R' : 'L';
  const strong = visual.map(({ dir }) => dir);
  const resolved = strong.map((dir, i) => {
    if (dir !== 'N') return dir;
    const before = strong.slice(0, i).reverse().find((d) => d !== 'N');
    const after = strong.slice(i + 1).find((d) => d !== 'N');
    return before && before === after ? before : base;
  });
  const out = visual.map(({ item }) => item);
  const reverseRuns = (order: TextItem[], dirs: Direction[], run: Direction) => {
    const result: TextItem[] = [];
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j < order.length && dirs[j] === dirs[i]) j++;
      const slice = order.slice(i, j);
      result.push(...(dirs[i] === run ? slice.reverse() : slice));
      i = j;
    }
    return result;
  };
  if (base === 'L') return reverseRuns(out, resolved, 'R');
  return reverseRuns(out.reverse(), resolved.reverse(), 'L');
}

// Digits with the punctuation drawn beside them in one item (".2024" for "2024." at the end of an Arabic
// sentence) are two bidi levels: the digits read left to right, the punctuation takes the line's direction.
// The item is split so that each piece is ordered by itself, its width shared out by characters.
const NUMBER = /(\p{N}+(?:[.,:/\u066B\u066C]\p{N}+)*)/u;

function splitNumbers(item: TextItem): TextItem[] {
  const pieces = item.str.split(NUMBER).filter(Boolean);
  if (direction(item) !== 'N' || pieces.length < 2) return [item];
  const perChar = item.width / item.str.length;
  let at = 0;
  return pieces.map((str) => {
    const [a, b, c, d, x, y] = item.transform;
    const piece = { ...item, str, width: perChar * str.length, transform: [a, b, c, d, x + perChar * at, y] };
    at += str.length;
    return piece;
  });
}

const itemSize = (item: TextItem) => Math.hypot(item.transform[2], item.transform[3]) || item.height || 1;

// pdf.js marks a vertical run with direction 'ttb'; such items follow each other down a column, and a new
// column starts to the left.
const isVertical = (item: TextItem) => item.dir === 'ttb';

// Lines from pdf.js text items in content-stream order (the order the page was written in, which is the
// reading order for almost every producer): a new line starts at an explicit end of line or where the
// baseline moves by more than half the font size (for a vertical column, where x moves by that much).
// `words` gives the word ends of letter-spaced runs where the page has some.
export function pageLines(items: TextItem[], words?: WordBreaks): Line[] {
  const unspaced = unspacer(words);
  const groups: Array<{ items: TextItem[]; y: number; size: number }> = [];
  let current: (typeof groups)[number] | undefined;
  for (const item of items) {
    const size = itemSize(item);
    const y = isVertical(item) ? item.transform[4] : item.transform[5];
    if (current && Math.abs(y - current.y) > Math.max(size, current.size) * 0.5) {
      groups.push(current);
      current = undefined;
    }
    current ??= { items: [], y, size };
    current.items.push(item);
    if (item.hasEOL) {
      groups.push(current);
      current = undefined;
    }
  }
  if (current) groups.push(current);
  return groups.map(({ items: lineItems, y, size }) => ({
    text: decomposePresentationForms(joinItems(logicalOrder(lineItems), size, unspaced)).replace(/\s+/g, ' ').trim(),
    y,
    size,
    x: isVertical(lineItems[0]) ? undefined : Math.min(...lineItems.map((i) => i.transform[4])),
  }));
}

// pdf.js writes the spaces it sees between glyphs of one run, but two runs of one line (a running head set
// apart from the page number, a new text object) meet with nothing between them: there the gap between
// their boxes, beyond 0.15 em, is a word space.
function joinItems(items: TextItem[], size: number, unspaced: Unspacer): string {
  let text = '';
  let previous: TextItem | undefined;
  for (const item of items) {
    const str = unspaced(item.str);
    if (previous && !isVertical(item) && !/\s$/.test(text) && !/^\s/.test(str)) {
      const [a, b] = [previous.transform[4], item.transform[4]];
      const gap = Math.max(b - (a + previous.width), a - (b + item.width));
      if (gap > size * 0.15) text += ' ';
    }
    text += str;
    if (str !== '') previous = item;
  }
  return text;
}

const HYPHENATED = /[\p{L}][-\u2010\u00ad]$/u;

function wrapsColumn(previous: Line, line: Line, foot: number, text: string): boolean {
  if (previous.x === undefined || line.x === undefined || !joinsWithoutSpace(text, line.text)) return false;
  const size = Math.max(previous.size, line.size);
  const left = previous.x - line.x;
  return left > 0 && left <= 2 * size && previous.y - foot <= 1.5 * size;
}

const joinsWithoutSpace = (before: string, after: string) => CJK_AT_END.test(before) && CJK_AT_START.test(after);

// Lines rejoined into paragraphs: a blank line, a gap well beyond the line spacing, or a jump back up the page
// (next column) ends a paragraph; a word hyphenated at a line end is joined when the next line goes on in
// lower case, and lines of CJK text join without a space. Vertical CJK that a producer draws one glyph a line
// (Chromium does) jumps back up one column to the left: when the column it leaves ran to the foot of the
// text, that is the column wrapping, not a new paragraph.
export function pageParagraphs(lines: Line[]): string[] {
  const paragraphs: string[] = [];
  const foot = Math.min(...lines.filter((l) => l.text !== '').map((l) => l.y));
  let current = '';
  let previous: Line | undefined;
  for (const line of lines) {
    if (line.text === '') {
      if (current) paragraphs.push(current);
      current = '';
      previous = undefined;
      continue;
    }
    const gap = previous ? previous.y - line.y : 0;
    if (previous && !(gap < 0 && wrapsColumn(previous, line, foot, current)) && (gap < 0 || gap > Math.max(previous.size, line.size) * 1.8)) {
      paragraphs.push(current);
      current = '';
    }
    if (current === '') current = line.text;
    else if (HYPHENATED.test(current) && /^\p{Ll}/u.test(line.text)) current = current.slice(0, -1) + line.text;
    else if (joinsWithoutSpace(current, line.text)) current += line.text;
    else current += ` ${line.text}`;
    previous = line;
  }
  if (current) paragraphs.push(current);
  return paragraphs;
}

// What a font without a Unicode map gives: its raw glyph codes as control characters, private-use code
// points, or U+FFFD.
const GARBAGE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uE000-\uF8FF\uFFFD]|[\u{F0000}-\u{10FFFF}]/gu;

// The share of such codes that makes a text unreadable. A font read by its glyph ids (a composite font with no
// map) gives wrong letters ("7KH" for "The") with its space glyph as a control code: one character in six or
// seven, which is the least such a text shows.
const GARBAGE_SHARE = 1 / 8;

const visible = (text: string) => text.replace(/\s+/g, '').length;
const garbage = (text: string) => text.match(GARBAGE)?.length ?? 0;
const mostlyGarbage = (text: string) => garbage(text) > visible(text) * GARBAGE_SHARE;

// A page's text is unreadable when more than an eighth of its visible characters are such codes, eight at
// least: a real page has a handful at most (a bullet or an icon from a symbol font), and a page set in a font
// without a map has that many or more.
export function isUnreadable(items: TextItem[]): boolean {
  const text = items.map((i) => i.str).join('');
  return garbage(text) >= 8 && mostlyGarbage(text);
}

// What can still be read on such a page: the runs set in fonts that have a map (a page number, a heading); a
// run with any such code is from the unreadable font (a short one may hold only a space glyph or two).
export const readableItems = (items: TextItem[]) => items.filter((i) => garbage(i.str) === 0);

// Fake bold: some producers draw a run twice or more, a fraction of a point apart, instead of using a bold font,
// and pdf.js gives each drawing as an item, so the words came out doubled ("微软公司的微软公司的"). An item that
// repeats an earlier item's text at nearly the same origin (within a sixth of its size) is the same ink.
export function dropOverprints(items: TextItem[]): TextItem[] {
  const drawn = new Map<string, TextItem[]>();
  return items.filter((item) => {
    if (item.str.trim() === '') return true;
    const near = (other: TextItem) => {
      const limit = itemSize(item) / 6;
      return Math.abs(other.transform[4] - item.transform[4]) <= limit && Math.abs(other.transform[5] - item.transform[5]) <= limit;
    };
    const same = drawn.get(item.str);
    if (same?.some(near)) return false;
    if (same) same.push(item);
    else drawn.set(item.str, [item]);
    return true;
  });
}

// Some Arabic PDFs set a font whose Unicode map points its kashida and ligature glyphs at Greek and modifier
// letters, giving runs such as "ϲΒϴΒ ˴" among the Arabic words, or glued to them ("يبيبَحϲΒϴΒ ˴habibi" in py-pdf's
// habibi.pdf, whose Latin word is the transliteration). On a page with more Arabic letters than Greek ones, a run
// of Greek or Coptic letters and spacing modifiers standing alone, or glued to an Arabic word (or, a modifier
// alone, before a word), is such a run and is dropped; the count says whether the page needs a warning.
const STRAY_RUN = /(?<=^|[\s\p{Cc}]|\p{Script=Arabic})[\p{Script=Greek}\p{Script=Coptic}\u02B0-\u02FF]+(?=[\s\p{Cc}]|$|\p{Script=Arabic})|(?<=^|\s)[\u02B0-\u02FF](?=\p{L})/gu;
const ARABIC = /\p{Script=Arabic}/u;
const ARABIC_LETTERS = /(?=\p{L})\p{Script=Arabic}/gu;
const GREEK_LETTERS = /(?=\p{L})[\p{Script=Greek}\p{Script=Coptic}]/gu;
const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;

export function dropStrayRuns(lines: Line[]): { lines: Line[]; dropped: number } {
  const text = lines.map((l) => l.text).join('');
  // Most pages have no Arabic at all, and are done with one search.
  if (!ARABIC.test(text) || count(text, ARABIC_LETTERS) <= count(text, GREEK_LETTERS)) return { lines, dropped: 0 };
  let dropped = 0;
  const cleaned = lines.flatMap((line) => {
    const text = line.text.replace(STRAY_RUN, () => {
      dropped++;
      return '';
    });
    if (text === line.text) return [line];
    const rest = text.replace(/\s+/g, ' ').trim();
    // A line that held only such runs goes, rather than reading as a paragraph break.
    return rest ? [{ ...line, text: rest }] : [];
  });
  return { lines: cleaned, dropped };
}

