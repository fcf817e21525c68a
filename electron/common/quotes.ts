import { anchorAt, type Anchor, type DocumentModel } from './document.ts';

// Quotes in an answer are checked against the source text, so a user can tell a real citation from a
// paraphrase the model presented as one. Matching forgives what copying text legitimately changes —
// whitespace and line breaks, curly versus straight quotes and apostrophes, dash styles, letter case — and
// an ellipsis may stand for an omitted stretch; anything else must be verbatim.

// Shorter "quotes" are usually single words or scare quotes, not citations.
export const MIN_QUOTE_CHARS = 12;
// How far apart the pieces of an elided quote ("a … b") may lie in the source.
export const MAX_ELISION_CHARS = 2000;

const FOLD: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201a': "'", '\u201b': "'", '\u2032': "'", '`': "'",
  '\u201c': '"', '\u201d': '"', '\u201e': '"', '\u201f': '"', '\u2033': '"', '\u00ab': '"', '\u00bb': '"',
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2015': '-', '\u2212': '-',
  '\u00ad': '',
};

export interface NormalizedText {
  text: string;
  // offsets[i] is the index in the original text of normalized character i (length text.length + 1).
  offsets: Int32Array;
}

// JavaScript's \s, by code unit.
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

// Code units turned into a string a chunk at a time where a decoder cannot be used (an argument list has a
// length limit).
const CHUNK = 8192;
const UTF16 = new TextDecoder('utf-16le');

// The string of these code units. The decoder makes it without garbage, but would replace a lone surrogate.
function unitsText(units: Uint16Array, surrogates: boolean): string {
  if (!surrogates) return UTF16.decode(units);
  const pieces: string[] = [];
  for (let at = 0; at < units.length; at += CHUNK) pieces.push(String.fromCharCode(...units.subarray(at, at + CHUNK)));
  return pieces.join('');
}

// A book's text is millions of characters: the normalized text is built in typed arrays, not in arrays of
// one-character strings and of numbers, whose hundreds of megabytes of garbage the next collections (a
// follow-up's among them) paid for.
export function normalizeForMatch(source: string): NormalizedText {
  // At most one normalized character per source character (a run of spaces becomes one).
  const units = new Uint16Array(source.length);
  const offsets = new Int32Array(source.length + 1);
  let n = 0;
  let pendingSpace = -1;
  let surrogates = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (isSpace(c)) {
      if (n > 0 && pendingSpace < 0) pendingSpace = i;
      continue;
    }
    let out: number;
    if (c < 0x80) {
      if (c === 0x60) out = 0x27; // ` folds to '
      else out = c >= 0x41 && c <= 0x5a ? c + 32 : c;
    } else {
      surrogates ||= c >= 0xd800 && c <= 0xdfff;
      const ch = source[i];
      const folded = FOLD[ch] ?? ch;
      if (folded === '') continue;
      const lower = folded.toLowerCase();
      // Keep one normalized char per source char so offsets stay exact (a few letters lower-case to two).
      out = (lower.length === 1 ? lower : folded).charCodeAt(0);
    }
    if (pendingSpace >= 0) {
      units[n] = 0x20;
      offsets[n++] = pendingSpace;
      pendingSpace = -1;
    }
    units[n] = out;
    offsets[n++] = i;
  }
  offsets[n] = source.length;
  return { text: unitsText(units.subarray(0, n), surrogates), offsets: offsets.slice(0, n + 1) };
}

export interface QuoteCheck {
  quote: string;
  verified: boolean;
  start: number | null;
  end: number | null;
  // Where the quote sits: its page, subtitle cue, chapter or heading, most precise first.
  anchor: Anchor | null;
}

const QUOTE_PATTERNS = [/\u201c([^\u201c\u201d]+)\u201d/g, /"([^"\n]+)"/g, /^>\s?(.+)$/gm];

export function extractQuotes(answer: string): string[] {
  const found: string[] = [];
  for (const pattern of QUOTE_PATTERNS) {
    for (const match of answer.matchAll(pattern)) {
      const quote = match[1].trim();
      if (quote.length >= MIN_QUOTE_CHARS && !found.includes(quote)) found.push(quote);
    }
  }
  return found;
}

const ELLIPSIS = /\s*(?:\.\.\.|\u2026|\[\s*(?:\.\.\.|\u2026)\s*\])\s*/;
const ANCHOR_PREFERENCE = ['page', 'cue', 'chapter', 'heading'] as const;

export function locateQuote(doc: Pick<DocumentModel, 'text' | 'anchors'>, normalizedDoc: NormalizedText, quote: string): QuoteCheck {
  const pieces = quote
    .split(ELLIPSIS)
    .map((piece) => normalizeForMatch(piece.replace(/^["'\u201c\u2018]+|["'\u201d\u2019]+$/g, '')).text)
    .filter((piece) => piece.length > 0);
  const miss: QuoteCheck = { quote, verified: false, start: null, end: null, anchor: null };
  if (pieces.length === 0) return miss;
  let from = 0;
  while (true) {
    const first = normalizedDoc.text.indexOf(pieces[0], from);
    if (first < 0) return miss;
    let end = first + pieces[0].length;
    let ok = true;
    for (const piece of pieces.slice(1)) {
      const next = normalizedDoc.text.indexOf(piece, end);
      if (next < 0 || next - end > MAX_ELISION_CHARS) {
        ok = false;
        break;
      }
      end = next + piece.length;
    }
    if (ok) {
      const start = normalizedDoc.offsets[first];
      const sourceEnd = normalizedDoc.offsets[end - 1] + 1;
      const anchor = ANCHOR_PREFERENCE.map((kind) => anchorAt(doc, start, kind)).find((a) => a !== undefined) ?? null;
      return { quote, verified: true, start, end: sourceEnd, anchor };
    }
    from = first + 1;
  }
}

export function verifyQuotes(doc: Pick<DocumentModel, 'text' | 'anchors'>, answer: string, normalizedDoc = normalizeForMatch(doc.text)): QuoteCheck[] {
  return extractQuotes(answer).map((quote) => locateQuote(doc, normalizedDoc, quote));
}
