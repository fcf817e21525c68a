import { makePdf } from './fixtures.ts';

// A PDF of about 2 MB whose text is about as large: more than the disk-full test leaves room for, both as the
// kept original and as database rows.
export function bigPdf(): Uint8Array {
  const line = (p: number, i: number) => `Page ${p} line ${i}: the quick brown fox jumps over the lazy dog again and again.`;
  return makePdf(Array.from({ length: 400 }, (_, p) => ({ paragraphs: [Array.from({ length: 60 }, (_, i) => line(p, i))] })));
}
