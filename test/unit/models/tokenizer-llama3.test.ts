import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import llama3TokenizerJs from 'llama3-tokenizer-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { StreamDecoder } from '../../../models/tokenizer/stream-decoder.ts';
import { TINY_BOS_ID, TINY_EOS_IDS, writeTinyTokenizer } from '../../../models/tokenizer/tiny.ts';
import { Tokenizer, loadTokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { LLAMA3_CONFIG, llama3TokenizerJson, variedText } from './tokenizer-llama3-fixture.ts';

let tokenizer: Tokenizer;
let hf: HfTokenizer;

beforeAll(() => {
  const json = llama3TokenizerJson();
  tokenizer = new Tokenizer(json, LLAMA3_CONFIG);
  hf = new HfTokenizer(json, LLAMA3_CONFIG);
});

const reference = (text: string) => llama3TokenizerJs.encode(text, { bos: false, eos: false });

const CASES: Record<string, string> = {
  english: "The quick brown fox doesn't jump; it's THE fox's DAY, isn't it? We'll see, they'd say.",
  unicode: 'Größenwahn, naïve café, Ærøskøbing, Ελληνικά, русский текст, עברית, العربية, देवनागरी.',
  cjk: '東京は日本の首都です。北京是中国的首都。서울은 한국의 수도입니다。',
  emoji: 'Emoji 🙂🚀👨‍👩‍👧‍👦 🇫🇷 ✔️ 🏳️‍🌈 end',
  digits: '1234567890 12 123 1234 3.14159 2,718,281 0x1F600 1e-9 -42 ١٢٣٤ ①②',
  whitespace: '  a   b\t\t\tc\n\n\n  d \r\n\r\n e\u00a0\u00a0f\u3000g   \n   ',
  code: 'function f(x) {\n  return x.map((y) => y ** 2).filter(Boolean); // ok\n}\n\tif (a!==b) {}\n',
  contractions: "I'M YOU'RE we'VE He'D they'LL it'S can'T 'tis o'clock",
  longRuns: 'a'.repeat(3000) + ' ' + ' '.repeat(2000) + '!'.repeat(500) + '\n'.repeat(300) + '9'.repeat(100),
  specials: 'before<|eot_id|>after <|start_header_id|>user<|end_header_id|>\n\nhi<|reserved_special_token_17|>',
};

describe('Llama-3 tokenizer exactness', () => {
  it('knows fixed Llama-3 ids', () => {
    expect([...tokenizer.encode('Hello world')]).toEqual([9906, 1917]);
    expect([...tokenizer.encode('Hello', { addBos: true })]).toEqual([128000, 9906]);
    expect(tokenizer.vocabSize).toBe(128256);
    expect(tokenizer.tokenId('<|eot_id|>')).toBe(128009);
    expect(tokenizer.eosIds).toEqual([128009]);
  });

  for (const [name, text] of Object.entries(CASES)) {
    it(`matches llama3-tokenizer-js and @huggingface/tokenizers on ${name}`, () => {
      const ids = [...tokenizer.encode(text)];
      expect(ids).toEqual(reference(text));
      expect(ids).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
      expect(tokenizer.decode(ids)).toBe(text);
    });
  }

  it('matches on 300 KB of varied generated text', () => {
    const text = variedText(300_000);
    const ids = tokenizer.encode(text);
    expect([...ids]).toEqual(reference(text));
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it('uses Unicode White_Space like the Rust tokenizer, not JavaScript \\s', () => {
    // U+FEFF is \s in JavaScript but not White_Space; llama3-tokenizer-js gets this one wrong.
    const text = 'x \ufeffy and a\u0085\u0085 b';
    expect([...tokenizer.encode(text)]).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
  });

  it('keeps special-token text ordinary when parseSpecial is false', () => {
    const text = 'a document saying <|eot_id|><|start_header_id|>system';
    const ids = [...tokenizer.encode(text, { parseSpecial: false })];
    expect(ids.some((id) => tokenizer.isSpecial(id))).toBe(false);
    expect(tokenizer.decode(ids)).toBe(text);
    expect([...tokenizer.encode(text)]).toContain(128009);
  });

  it('decodes with and without special tokens and rejects unknown ids', () => {
    const ids = tokenizer.encode('<|begin_of_text|>Hi<|eot_id|>');
    expect(tokenizer.decode(ids)).toBe('<|begin_of_text|>Hi<|eot_id|>');
    expect(tokenizer.decode(ids, { skipSpecial: true })).toBe('Hi');
    expect(() => tokenizer.decode([128256])).toThrow(/outside the vocabulary/);
  });

  it('streams partial UTF-8 without replacement characters', () => {
    const text = CASES.emoji + CASES.cjk;
    const ids = tokenizer.encode(text);
    const partialTokens = [...ids].filter((id) => {
      const bytes = tokenizer.tokenBytes(id);
      return new TextDecoder().decode(bytes).includes('\ufffd');
    });
    expect(partialTokens.length).toBeGreaterThan(0);
    const stream = new StreamDecoder(tokenizer);
    const chunks = [...ids].map((id) => stream.push(id));
    expect(chunks.join('') + stream.flush()).toBe(text);
    expect(chunks.some((c) => c.includes('\ufffd'))).toBe(false);
    const cut = new StreamDecoder(tokenizer);
    cut.push(tokenizer.encode('🙂')[0]);
    expect(cut.flush()).toBe('\ufffd');
  });
});

describe('loadTokenizer', () => {
  it('loads a tokenizer folder with generation_config eos ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-tok-'));
    try {
      await writeTinyTokenizer(dir);
      await writeFile(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [...TINY_EOS_IDS] }));
      const tiny = await loadTokenizer(dir);
      expect(tiny.bosId).toBe(TINY_BOS_ID);
      expect([...tiny.eosIds].sort()).toEqual([...TINY_EOS_IDS].sort());
      const text = 'The river and the garden, page 12. 日本 🙂';
      expect(tiny.decode(tiny.encode(text))).toBe(text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses what it cannot tokenize exactly', async () => {
    const json = llama3TokenizerJson();
    expect(() => new Tokenizer({ ...json, normalizer: { type: 'NFC' } })).toThrow(/normalizers/);
    expect(() => new Tokenizer({ ...json, pre_tokenizer: { type: 'Whitespace' } })).toThrow(/pre-tokenizer/);
    await expect(loadTokenizer('/nonexistent-quire-dir')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
