import type { Anchor, AnchorKind, DocumentFormat, DocumentModel } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import { MAX_ANCHORS, MAX_TEXT_CHARS } from './limits.ts';

// An anchor still being written: its start is fixed by the first text appended after it opens, so leading
// separators never fall inside it.
export interface OpenAnchor {
  kind: AnchorKind;
  label: string;
  start: number;
  end: number;
  level: number;
  keepEmpty: boolean;
}

type Separator = '' | ' ' | '\n' | '\n\n';
const SEPARATOR_RANK: Record<Separator, number> = { '': 0, ' ': 1, '\n': 2, '\n\n': 3 };

// C0 controls other than tab and newline, DEL, and carriage returns (newlines are normalized before this).
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

export function cleanText(s: string): string {
  return s.replace(CONTROL, '').normalize('NFC');
}

// Accumulates the document text with separators that only materialize between two pieces of text (no
// leading or trailing blank lines, no double spaces), and anchors whose offsets index the final string.
export class TextBuilder {
  private readonly parts: string[] = [];
  private length = 0;
  private pending: Separator = '';
  private readonly anchors: OpenAnchor[] = [];
  private readonly unstarted: OpenAnchor[] = [];
  private readonly headings: OpenAnchor[] = [];

  get chars(): number {
    return this.length;
  }

  separate(separator: Exclude<Separator, ''>): void {
    if (SEPARATOR_RANK[separator] > SEPARATOR_RANK[this.pending]) this.pending = separator;
  }

  append(raw: string): void {
    const piece = cleanText(raw);
    if (piece === '') return;
    if (this.length > 0 && this.pending !== '') {
      this.parts.push(this.pending);
      this.length += this.pending.length;
    }
    this.pending = '';
    for (const a of this.unstarted) a.start = this.length;
    this.unstarted.length = 0;
    this.parts.push(piece);
    this.length += piece.length;
    if (this.length > MAX_TEXT_CHARS) {
      throw new QuireError('LIMIT_EXCEEDED', `the text exceeds ${MAX_TEXT_CHARS.toLocaleString('en')} characters`);
    }
  }

  // Inline text whose runs of whitespace collapse to single spaces (HTML, XML text nodes, subtitle cues).
  appendInline(raw: string): void {
    if (/^\s/.test(raw)) this.separate(' ');
    const words = raw.trim();
    if (words) this.append(words.replace(/\s+/g, ' '));
    if (/\s$/.test(raw)) this.separate(' ');
  }

  open(kind: AnchorKind, label: string, { keepEmpty = false, level = 0 } = {}): OpenAnchor {
    if (this.anchors.length >= MAX_ANCHORS) {
      throw new QuireError('LIMIT_EXCEEDED', `more than ${MAX_ANCHORS.toLocaleString('en')} pages, chapters, headings or cues`);
    }
    const anchor: OpenAnchor = { kind, label, start: -1, end: -1, level, keepEmpty };
    this.anchors.push(anchor);
    this.unstarted.push(anchor);
    return anchor;
  }

  close(anchor: OpenAnchor): void {
    const i = this.unstarted.indexOf(anchor);
    if (i >= 0) {
      this.unstarted.splice(i, 1);
      anchor.start = this.length;
    }
    anchor.end = this.length;
  }

  // The text written since `anchor` opened (a heading's own words become its label).
  textSince(anchor: OpenAnchor): string {
    if (anchor.start < 0) return '';
    const pieces: string[] = [];
    let at = this.length;
    for (let i = this.parts.length - 1; i >= 0 && at > anchor.start; i--) {
      at -= this.parts[i].length;
      pieces.push(this.parts[i]);
    }
    return pieces.reverse().join('').slice(anchor.start - at).trim();
  }

  // A heading's anchor spans its section: from the heading to the next heading of the same or a higher level
  // (or the end of the enclosing chapter), so any quote maps to the heading it sits under.
  heading(level: number, label: string): OpenAnchor {
    while (this.headings.length && this.headings[this.headings.length - 1].level >= level) this.close(this.headings.pop()!);
    const anchor = this.open('heading', label, { level });
    this.headings.push(anchor);
    return anchor;
  }

  closeHeadings(): void {
    while (this.headings.length) this.close(this.headings.pop()!);
  }

  build(): { text: string; anchors: Anchor[] } {
    this.closeHeadings();
    for (const a of this.anchors) if (a.end < 0) this.close(a);
    const anchors = this.anchors
      .filter((a) => a.keepEmpty || a.end > a.start)
      .map(({ kind, label, start, end }) => ({ kind, label: label.replace(/\s+/g, ' ').trim(), start, end }))
      // At one start, an empty anchor (a page with no text) ended before the text there began, so it comes
      // first, in the order written (the sort is stable); of the others the outer comes before the inner.
      .sort((a, b) => a.start - b.start || Number(b.start === b.end) - Number(a.start === a.end) || b.end - a.end);
    return { text: this.parts.join(''), anchors };
  }

  // The finished model; a document whose text is empty is refused rather than stored.
  model(format: DocumentFormat, title: string, warnings: string[]): DocumentModel {
    const { text, anchors } = this.build();
    if (text.trim() === '') throw new QuireError('EMPTY', 'the document has no text');
    return { format, title: title.replace(/\s+/g, ' ').trim(), text, anchors, chars: text.length, warnings };
  }
}
