// The sample a new user can try at once: a short multi-chapter book in the style quire-nano was trained on
// (scene sentences, models/passkey-text.ts) with one passkey hidden deep inside it, and the question to ask, with
// the answer it should get — the digits and the sentence they are in, quoted verbatim, which the app verifies
// and links to the passage — so the first minute with the demo model ends in a right answer. One fact only:
// quire-nano finds one passkey among filler at any depth, but not one of several (`quire eval niah --task
// multikey`: 5% at 1K and 4K tokens).
import { mulberry32 } from '../common/random.ts';
import { answerText, factSentence, fillerSentences, NAMES, passkey, question } from '../../models/passkey-text.ts';

export const SAMPLE_NAME = 'The Keepers of the Valley (sample).md';
export const SAMPLE_TITLE = 'The Keepers of the Valley';
const CHAPTERS = ['The Harbor', 'The Old Mill', 'The North Gate', 'The Chapel'];
// Sentences of filler per chapter: the whole book stays inside quire-nano's 4K context with room to answer.
const SENTENCES_PER_CHAPTER = 24;

export interface SampleQuestion {
  question: string;
  // What quire-nano answers, and the sentence of the book that answer quotes.
  answer: string;
  quote: string;
  chapter: string;
}

// The chapter that holds the fact: past the middle, so finding it means reading most of the book.
const FACT_CHAPTER = 2;

export function sampleDocument(seed = 2026): { name: string; text: string; questions: SampleQuestion[] } {
  const r = mulberry32(seed);
  const name = NAMES[Math.floor(r() * NAMES.length)];
  const key = passkey(r);
  const chapters = CHAPTERS.map((chapter, i) => {
    const sentences = fillerSentences(r, SENTENCES_PER_CHAPTER).slice(0, SENTENCES_PER_CHAPTER);
    // Somewhere inside the chapter, never first or last.
    if (i === FACT_CHAPTER) sentences.splice(1 + Math.floor(r() * (sentences.length - 2)), 0, factSentence(name, key));
    return `## ${chapter}\n\n${sentences.join(' ')}`;
  });
  const questions = [{ question: question(name), answer: answerText(name, key), quote: factSentence(name, key), chapter: CHAPTERS[FACT_CHAPTER] }];
  return { name: SAMPLE_NAME, text: `# ${SAMPLE_TITLE}\n\n${chapters.join('\n\n')}\n`, questions };
}
