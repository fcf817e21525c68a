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

export function normalizeForMatch(source: string): NormalizedText {
  const out: string[] = [];
  const offsets: number[] = [];
  let pendingSpace = -1;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (/\s/.test(ch)) {
      if (out.length > 0 && pendingSpace < 0) pendingSpace = i;
      continue;
    }
    const folded = FOLD[ch] ?? ch;
    if (folded === '') continue;
    if (pendingSpace >= 0) {
      out.push(' ');
      offsets.push(pendingSpace);
      pendingSpace = -1;
    }
    const lower = folded.toLowerCase();
    // Keep one normalized char per source char so offsets stay exact (a few letters lower-case to two).
    out.push(lower.length === 1 ? lower : folded);
    offsets.push(i);
  }
  offsets.push(source.length);
  return { text: out.join(''), offsets: Int32Array.from(offsets) };
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
