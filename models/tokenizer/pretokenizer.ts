import { QuireError } from '../../electron/common/errors.ts';

// The Split pattern of every Llama-3.x tokenizer.json, as written for the Rust crate (Oniguruma syntax).
export const LLAMA3_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Oniguruma's Unicode \s is the White_Space property (it has U+0085, lacks U+FEFF); JavaScript's \s
// differs on exactly those two, so the shorthands are spelled out. Inline (?i:…) groups are native in
// Node 24 / V8 and fold like Oniguruma for these ASCII contractions (including ſ for s).
export function compileSplitPattern(pattern: string): RegExp {
  const translated = pattern.replace(/\\\\|\\s|\\S/g, (m) =>
    m === '\\s' ? '\\p{White_Space}' : m === '\\S' ? '\\P{White_Space}' : m,
  );
  try {
    return new RegExp(translated, 'gu');
  } catch (error) {
    throw new QuireError('UNSUPPORTED_MODEL', `tokenizer split pattern is not supported: ${(error as Error).message}`);
  }
}

// Visits the pieces of text: regex matches and the gaps between them (HF "Isolated" behaviour).
export function forEachPiece(text: string, regex: RegExp, visit: (piece: string) => void): void {
  regex.lastIndex = 0;
  let prev = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const piece = m[0];
    if (piece.length === 0) {
      regex.lastIndex++;
      continue;
    }
    if (m.index > prev) visit(text.slice(prev, m.index));
    visit(piece);
    prev = m.index + piece.length;
  }
  if (prev < text.length) visit(text.slice(prev));
}
