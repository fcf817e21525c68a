// Word agreement of a text with a reference made without Quire: recall (the reference's words that the text also
// gives) and precision (the text's words that the reference also gives), counted as multisets. Words are runs of
// letters and digits after NFKC (so ligatures and presentation forms compare as letters); Han and kana characters
// count one by one, as CJK text has no spaces to split on.

const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{M}\p{N}])+/gu;

export function words(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of text.normalize('NFKC').toLowerCase().match(WORD) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

export const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

export function common(a: Map<string, number>, b: Map<string, number>): number {
  let n = 0;
  for (const [w, count] of a) n += Math.min(count, b.get(w) ?? 0);
  return n;
}
