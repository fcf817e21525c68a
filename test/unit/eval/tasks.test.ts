import { describe, expect, it } from 'vitest';
import { answerText, factSentence, question } from '../../../models/passkey-text.ts';
import { mulberry32 } from '../../../electron/common/random.ts';
import { makeSample, scoreAnswer, TASKS } from '../../../electron/node/eval/tasks.ts';

describe('scoreAnswer', () => {
  it('niah and multikey: the first number of the answer must be the passkey exactly', () => {
    for (const task of ['niah', 'multikey'] as const) {
      expect(scoreAnswer(task, '48213', ['48213'])).toBe(true);
      expect(scoreAnswer(task, 'The passkey of the river is 48213.', ['48213'])).toBe(true);
      expect(scoreAnswer(task, '482134', ['48213'])).toBe(false);
      expect(scoreAnswer(task, '4821', ['48213'])).toBe(false);
      expect(scoreAnswer(task, '11111, or maybe 48213', ['48213'])).toBe(false);
      expect(scoreAnswer(task, 'I do not know.', ['48213'])).toBe(false);
    }
  });

  it('niah: the quoted answer format (digits, then the fact sentence in quotes) scores on its digits, as strictly as bare digits', () => {
    expect(answerText('the river', '48213')).toBe('48213: "The passkey of the river is 48213."');
    expect(scoreAnswer('niah', answerText('the river', '48213'), ['48213'])).toBe(true);
    // Cut short by the task's token budget, the digits still decide.
    expect(scoreAnswer('niah', answerText('the river', '48213').slice(0, 16), ['48213'])).toBe(true);
    expect(scoreAnswer('niah', answerText('the river', '48214'), ['48213'])).toBe(false);
    // A right quote does not rescue wrong digits.
    expect(scoreAnswer('niah', '48214: "The passkey of the river is 48213."', ['48213'])).toBe(false);
    expect(scoreAnswer('niah', '482130: "The passkey of the river is 48213."', ['48213'])).toBe(false);
  });

  it('multivalue and vt: every value or variable must be given as a whole word', () => {
    expect(scoreAnswer('multivalue', '11111, 22222, 33333 and 44444', ['22222', '11111', '44444', '33333'])).toBe(true);
    expect(scoreAnswer('multivalue', '11111, 22222 and 33333', ['11111', '22222', '33333', '44444'])).toBe(false);
    expect(scoreAnswer('multivalue', '111112, 22222', ['11111', '22222'])).toBe(false);
    expect(scoreAnswer('vt', 'ABCDE, FGHIJ and KLMNO.', ['ABCDE', 'FGHIJ', 'KLMNO'])).toBe(true);
    expect(scoreAnswer('vt', 'ABCDEF, FGHIJ and KLMNO.', ['ABCDE', 'FGHIJ', 'KLMNO'])).toBe(false);
  });
});

describe('makeSample', () => {
  it('niah hides one fact in quire-nano`s phrasing at the depth and asks about it', () => {
    const s = makeSample('niah', mulberry32(1), 35);
    const [, name, key] = /^The passkey of (.+) is (\d{5})\.$/.exec(s.inserts[0].text)!;
    expect(s.inserts).toEqual([{ text: factSentence(name, key), depth: 35 }]);
    expect(s.question).toBe(question(name));
    expect(s.expected).toEqual([key]);
  });

  it('multikey asks one of several distinct keys; multivalue wants all values of one key; vt follows a chain', () => {
    const mk = makeSample('multikey', mulberry32(2), 60);
    const names = mk.inserts.map((i) => /of (.+) is/.exec(i.text)![1]);
    expect(new Set(names).size).toBe(mk.inserts.length);
    expect(mk.inserts[0]).toMatchObject({ depth: 60, text: expect.stringContaining(mk.expected[0]) });
    expect(mk.question).toBe(question(names[0]));

    const mv = makeSample('multivalue', mulberry32(3), 10);
    expect(new Set(mv.expected).size).toBe(mv.inserts.length);
    mv.inserts.forEach((ins, i) => expect(ins.text).toBe(factSentence(/of (.+) is/.exec(mv.inserts[0].text)![1], mv.expected[i])));

    const vt = makeSample('vt', mulberry32(4), 30);
    const value = /value (\d+)/.exec(vt.question)![1];
    expect(vt.inserts[0]).toEqual({ text: `VAR ${vt.expected[0]} = ${value}.`, depth: 30 });
    vt.inserts.slice(1).forEach((ins, i) => {
      expect(ins.text).toBe(`VAR ${vt.expected[i + 1]} = ${vt.expected[i]}.`);
      expect(ins.depth).toBeGreaterThanOrEqual(vt.inserts[i].depth);
    });
  });

  it('is reproducible from the seed', () => {
    for (const task of TASKS) expect(makeSample(task, mulberry32(9), 50)).toEqual(makeSample(task, mulberry32(9), 50));
  });
});
