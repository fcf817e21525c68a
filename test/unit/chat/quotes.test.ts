import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { DocumentModel } from '../../../electron/common/document.ts';
import { extractQuotes, normalizeForMatch, verifyQuotes } from '../../../electron/common/quotes.ts';

function book(): DocumentModel {
  const pages = [
    'CHAPTER ONE\nIt was a bright cold day in April, and the clocks\nwere striking thirteen.',
    'The hallway smelt of boiled cabbage and old rag mats. At one end of it a coloured poster, too large for indoor display, had been tacked to the wall.',
    'He thought of the telescreen — that “Big Brother” who was watching.',
  ];
  let text = '';
  const anchors: DocumentModel['anchors'] = [];
  pages.forEach((page, i) => {
    if (i > 0) text += '\n\n';
    anchors.push({ kind: 'page', label: String(i + 11), start: text.length, end: text.length + page.length });
    text += page;
  });
  anchors.unshift({ kind: 'chapter', label: 'Chapter One', start: 0, end: text.length });
  anchors.sort((a, b) => a.start - b.start);
  return { format: 'pdf', title: 'Test', text, anchors, chars: text.length, warnings: [] };
}

describe('quote verification', () => {
  const doc = book();

  it('finds quotes across line breaks, with curly quotes and different case, and cites the page', () => {
    const [check] = verifyQuotes(doc, 'The book opens: “It was a bright cold day in April, and the clocks were striking thirteen.”');
    expect(check.verified).toBe(true);
    expect(doc.text.slice(check.start!, check.end!)).toBe('It was a bright cold day in April, and the clocks\nwere striking thirteen.');
    expect(check.anchor).toMatchObject({ kind: 'page', label: '11' });
  });

  it('maps offsets exactly on later pages and accepts an elided quote', () => {
    const [check] = verifyQuotes(doc, '"The hallway smelt of boiled cabbage ... had been tacked to the wall."');
    expect(check.verified).toBe(true);
    expect(doc.text.slice(check.start!, check.end!)).toMatch(/^The hallway smelt.*tacked to the wall\.$/s);
    expect(check.anchor?.label).toBe('12');
  });

  it('folds dashes and nested curly quotes', () => {
    const [check] = verifyQuotes(doc, '> He thought of the telescreen - that "Big Brother" who was watching.');
    expect(check.verified).toBe(true);
    expect(check.anchor?.label).toBe('13');
  });

  // The elision limit is a promise about how far an ellipsis may reach; the figure is written out here, not
  // read from the constant, so a change to either the figure or the comparison fails this test.
  it('lets an ellipsis stand for at most 2,000 characters of the source', () => {
    const spanning = (gap: number) => {
      // Normalized, the gap is the filler plus the space on each side of it.
      const text = `The harbour master wrote ${'x'.repeat(gap - 2)} and then the tide came in.`;
      const [check] = verifyQuotes({ text, anchors: [] }, '“The harbour master wrote … and then the tide came in.”');
      return check.verified;
    };
    expect(spanning(1999)).toBe(true);
    expect(spanning(2000)).toBe(true);
    expect(spanning(2001)).toBe(false);
  });

  it('marks an invented quote as unverified', () => {
    const checks = verifyQuotes(doc, 'He said “the clocks were striking fourteen” and “It was a bright cold day in April”.');
    expect(checks.map((c) => c.verified)).toEqual([false, true]);
    expect(checks[0]).toMatchObject({ start: null, anchor: null });
  });

  it('ignores short scare quotes', () => {
    expect(extractQuotes('the so-called "truth" and “a much longer real quote here”')).toEqual(['a much longer real quote here']);
  });

  it('keeps one normalized char per source position', () => {
    const n = normalizeForMatch('  A\u00a0 “B”\n\n—c ');
    expect(n.text).toBe('a "b" -c');
    expect(n.offsets.length).toBe(n.text.length + 1);
    expect([...n.offsets.slice(0, -1)].map((i) => '  A\u00a0 “B”\n\n—c '[i])).toEqual(['A', '\u00a0', '“', 'B', '”', '\n', '—', 'c']);
  });

  it('keeps surrogates as they are, paired or alone', () => {
    // (İ lower-cases to two characters, so it stays as it is.)
    expect(normalizeForMatch('A 😀 \ud800B\udc00 İ').text).toBe('a 😀 \ud800b\udc00 İ');
  });

  // A book's normalized text is built without per-character garbage: a megabytes-long quote check once left
  // hundreds of megabytes for the next collections (a follow-up's among them) to sweep.
  it('normalizes a long text without garbage in proportion to it', () => {
    const text = 'The Keeper\u2019s LOG —  entry\n'.repeat(80_000);
    const before = getHeapStatistics().used_heap_size;
    const n = normalizeForMatch(text);
    const grown = getHeapStatistics().used_heap_size - before;
    expect(n.text).toBe(text.trim().replace(/\s+/g, ' ').replaceAll('\u2019', "'").replaceAll('—', '-').toLowerCase());
    // The normalized text itself stays live: up to two bytes a character where V8 keeps it as a two-byte string (seen
    // in CI, 4.1 MB here). Arrays of one-character strings, as before the typed arrays, grew it by 15–55 bytes a
    // character.
    expect(grown).toBeLessThan(3 * text.length);
  });
});
