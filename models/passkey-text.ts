// The passkey texts Quire's self-check, sample document and quire-nano's training data are made of: filler
// sentences from word lists (generated here, never copied text), passkeys, and the fact, question and quoted
// answer in the one phrasing the demo model was trained on. Product code (electron/node/eval, the sample
// document) and the training recipe (models/nano/data.ts) both read them from here.
import { generateEnglish } from './tokenizer/tiny.ts';

// Keys are nouns that are single tokens of the tiny tokenizer (" river", " garden", …), so retrieval is
// associative recall on one key token. (A first run with multi-token personal names learned far too slowly on
// two CPU cores: 6% exact match after 12 minutes; see models/nano/README.md.)
export const NAMES = 'river house story morning book garden document world life state year day man'.split(' ').map((w) => `the ${w}`);

const NOUNS = 'river garden window letter morning evening house story door table lamp road field cloud stone bird tree ship market bridge tower valley'.split(' ');
const ADJS = 'old quiet green small bright cold warm long narrow empty distant gentle heavy silver pale busy'.split(' ');
const VERBS = 'watched crossed opened followed painted carried found remembered passed reached described visited'.split(' ');
const PLACES = 'the hill|the harbor|the old mill|the north gate|the square|the station|the forest|the lake|the school|the chapel'.split('|');

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

// Filler sentences from word lists (generated here, never copied text). Two styles: short scene sentences and
// the tiny tokenizer's own generated English (which has stray numbers, useful distractors).
export function fillerSentences(r: () => number, count: number): string[] {
  const out: string[] = [];
  if (r() < 0.5) {
    for (let i = 0; i < count; i++) {
      const s = `The ${pick(r, ADJS)} ${pick(r, NOUNS)} ${pick(r, VERBS)} the ${pick(r, NOUNS)} near ${pick(r, PLACES)}.`;
      out.push(s);
    }
  } else {
    const text = generateEnglish(count * 12, Math.floor(r() * 2 ** 31)).replace(/\s+/g, ' ');
    const parts = text.match(/[^.?]+[.?]/g) ?? [];
    for (const p of parts) out.push(p.trim());
  }
  return out.filter((s) => s.length > 0);
}

export function passkey(r: () => number): string {
  return String(10000 + Math.floor(r() * 90000));
}

export const factSentence = (name: string, key: string) => `The passkey of ${name} is ${key}.`;
export const question = (name: string) => `What is the passkey of ${name}?`;
// The quoted answer (quire-nano's stage 2c, models/nano/README.md "Quoted answers"): the digits, then the sentence they were
// found in as a verbatim quote, which the app verifies against the document and links to the passage
// (electron/common/quotes.ts). Digits first, so retrieval stays where stage 1 and 2 trained it and the quote is a
// copy of the question's key and the digits just written. ASCII only (a colon, not a dash), so one character stays
// one byte of the token stream.
export const answerText = (name: string, key: string) => `${key}: "${factSentence(name, key)}"`;
