// The retrieval tasks: passkey NIAH in the phrasing quire-nano was trained on (models/passkey-text.ts), and
// RULER-style variants built from the same sentences. A task turns a seeded generator and a depth percent
// into facts to hide, a question, and the strings a correct answer must give.
import { factSentence, NAMES, passkey, question } from '../../../models/passkey-text.ts';
import type { Insert } from '../runtime/haystack.ts';

export const TASKS = ['niah', 'multikey', 'multivalue', 'vt'] as const;
export type TaskName = (typeof TASKS)[number];

export interface TaskSample {
  inserts: Insert[];
  question: string;
  expected: string[];
}

const DISTRACTOR_KEYS = 3;
const VALUES = 4;
const CHAIN = 4;
// Room for a chatty model to restate the fact before giving the number ("The passkey of … is 12345."), per answer.
const ANSWER_TOKENS = 16;
export const MAX_NEW_TOKENS: Record<TaskName, number> = { niah: ANSWER_TOKENS, multikey: ANSWER_TOKENS, multivalue: ANSWER_TOKENS * VALUES, vt: ANSWER_TOKENS * 2 };

const randomDepth = (r: () => number) => Math.round(r() * 100);

// Distinct picks, so a distractor never shares the asked key.
function distinct<T>(r: () => number, pool: readonly T[], count: number): T[] {
  const left = [...pool];
  return Array.from({ length: count }, () => left.splice(Math.floor(r() * left.length), 1)[0]);
}

// Variable names as RULER writes them: five random capitals.
function variableName(r: () => number): string {
  return Array.from({ length: 5 }, () => String.fromCharCode(65 + Math.floor(r() * 26))).join('');
}

export function makeSample(task: TaskName, r: () => number, depth: number): TaskSample {
  switch (task) {
    case 'niah': {
      const [name] = distinct(r, NAMES, 1);
      const key = passkey(r);
      return { inserts: [{ text: factSentence(name, key), depth }], question: question(name), expected: [key] };
    }
    case 'multikey': {
      // The asked fact sits at the cell's depth; facts about other keys anywhere else.
      const [name, ...others] = distinct(r, NAMES, 1 + DISTRACTOR_KEYS);
      const key = passkey(r);
      const inserts = [{ text: factSentence(name, key), depth }, ...others.map((n) => ({ text: factSentence(n, passkey(r)), depth: randomDepth(r) }))];
      return { inserts, question: question(name), expected: [key] };
    }
    case 'multivalue': {
      const [name] = distinct(r, NAMES, 1);
      const distinctValues = new Set<string>();
      while (distinctValues.size < VALUES) distinctValues.add(passkey(r));
      const values = [...distinctValues];
      const inserts = values.map((v, i) => ({ text: factSentence(name, v), depth: i === 0 ? depth : randomDepth(r) }));
      return { inserts, question: `What are all the passkeys of ${name}?`, expected: values };
    }
    case 'vt': {
      // A chain X1 = value, X2 = X1, …: its head at the cell's depth, each link later in the text.
      const names = new Set<string>();
      while (names.size < CHAIN) names.add(variableName(r));
      const chain = [...names];
      const value = passkey(r);
      const later = Array.from({ length: CHAIN - 1 }, () => depth + Math.round(r() * (100 - depth))).sort((a, b) => a - b);
      const inserts = chain.map((n, i) => ({ text: `VAR ${n} = ${i === 0 ? value : chain[i - 1]}.`, depth: i === 0 ? depth : later[i - 1] }));
      return { inserts, question: `Which variables are assigned the value ${value}?`, expected: chain };
    }
  }
}

// Exact match: the first number of the answer is the passkey (so "123456" or "1234" fail), or, for the
// multi-answer tasks, every expected number or variable appears as a whole word.
export function scoreAnswer(task: TaskName, answer: string, expected: readonly string[]): boolean {
  if (task === 'niah' || task === 'multikey') return /\d+/.exec(answer)?.[0] === expected[0];
  const words = new Set(answer.match(/[A-Za-z0-9]+/g) ?? []);
  return expected.every((e) => words.has(e));
}
