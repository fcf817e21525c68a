import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chatTemplateFromConfig } from '../../../models/chat-template.ts';
import { factSentence, question } from '../../../models/passkey-text.ts';
import { writeTinyTokenizer } from '../../../models/tokenizer/tiny.ts';
import { loadTokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { buildHaystackPrompt, Filler, type PromptKit } from '../../../electron/node/runtime/haystack.ts';

let kit: PromptKit;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quire-haystack-'));
  await writeTinyTokenizer(dir);
  kit = { tokenizer: await loadTokenizer(dir), template: chatTemplateFromConfig(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'))) };
});

const needle = factSentence('the river', '48213');

describe('buildHaystackPrompt', () => {
  it('sizes the whole prompt to the length in the model tokens and puts the needle at its depth', () => {
    const filler = new Filler(kit.tokenizer, 7);
    for (const length of [512, 2048, 8192]) {
      for (const depth of [0, 10, 25, 50, 75, 90, 100]) {
        const p = buildHaystackPrompt(kit, filler, length, [{ text: needle, depth }], question('the river'));
        expect(p.tokens.length).toBeLessThanOrEqual(length);
        expect(p.tokens.length).toBeGreaterThan(length - 40);
        const at = p.insertOffsets[0];
        const needleTokens = kit.tokenizer.encode(' ' + needle).length;
        expect(kit.tokenizer.decode(p.tokens.slice(at, at + needleTokens)).trim()).toBe(needle);
        // Depth is where the needle starts within the room the haystack leaves it (0: first, 100: last).
        const where = (at - p.documentStart) / (p.documentEnd - p.documentStart - needleTokens);
        expect(Math.abs(where - depth / 100), `length ${length} depth ${depth}: at ${where}`).toBeLessThan(0.03);
      }
    }
  });

  it('renders the layout quire-nano trains on: haystack, blank line, question, then the assistant header', () => {
    const p = buildHaystackPrompt(kit, new Filler(kit.tokenizer, 1), 300, [{ text: needle, depth: 50 }], question('the river'));
    const text = kit.tokenizer.decode(p.tokens);
    expect(text.startsWith('<|begin_of_text|><|start_header_id|>system<|end_header_id|>')).toBe(true);
    expect(text.endsWith(`.\n\n${question('the river')}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`)).toBe(true);
    expect(kit.tokenizer.decode(p.tokens.slice(p.documentStart, p.documentEnd)).trim()).toMatch(/^[A-Z].*\.$/s);
    expect(text.split(needle)).toHaveLength(2);
    // quire-nano trains on the same user turn followed by the answer as the assistant turn (data.ts): the prompt
    // is exactly that sequence's prefix, so greedy decoding continues where training put the answer.
    const document = kit.tokenizer.decode(p.tokens.slice(p.documentStart, p.documentEnd)).trim();
    const trained = kit.template.encode(kit.tokenizer, [
      { role: 'user', content: `${document}\n\n${question('the river')}` },
      { role: 'assistant', content: '48213' },
    ]);
    expect(Array.from(trained.subarray(0, p.tokens.length))).toEqual(p.tokens);
  });

  it('keeps a sample`s filler across lengths and depths, so prompts share the text before the needle', () => {
    const filler = new Filler(kit.tokenizer, 3);
    const deep = buildHaystackPrompt(kit, filler, 1024, [{ text: needle, depth: 80 }], question('the river'));
    const shallow = buildHaystackPrompt(kit, filler, 1024, [{ text: factSentence('the house', '11111'), depth: 40 }], question('the house'));
    let common = 0;
    while (deep.tokens[common] === shallow.tokens[common]) common++;
    expect(common).toBeGreaterThanOrEqual(shallow.insertOffsets[0] - 1);
  });

  it('places several inserts in order of their depths and reports each', () => {
    const inserts = [
      { text: 'VAR ABCDE = 12345.', depth: 20 },
      { text: 'VAR FGHIJ = ABCDE.', depth: 60 },
      { text: 'VAR KLMNO = FGHIJ.', depth: 60 },
    ];
    const p = buildHaystackPrompt(kit, new Filler(kit.tokenizer, 5), 1024, inserts, 'Which variables are assigned the value 12345?');
    const [a, b, c] = p.insertOffsets;
    expect(a).toBeLessThan(b);
    expect(b).toBeLessThan(c);
    inserts.forEach((ins, i) => expect(kit.tokenizer.decode(p.tokens.slice(p.insertOffsets[i], p.insertOffsets[i] + 12))).toContain(ins.text.slice(0, 9)));
  });

  it('refuses a length the question and markup alone exceed', () => {
    expect(() => buildHaystackPrompt(kit, new Filler(kit.tokenizer, 1), 40, [{ text: needle, depth: 0 }], question('the river'))).toThrow(/INVALID_INPUT|too short/);
  });
});
