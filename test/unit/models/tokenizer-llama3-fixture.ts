import llama3TokenizerJs from 'llama3-tokenizer-js';
import { LLAMA3_SPLIT_PATTERN } from '../../../models/tokenizer/pretokenizer.ts';
import { buildTinyTokenizerJson, generateEnglish, specialToken } from '../../../models/tokenizer/tiny.ts';
import type { TokenizerJson } from '../../../models/tokenizer/tokenizer.ts';

// The real Llama-3 vocabulary and merges (embedded in llama3-tokenizer-js) rebuilt as the tokenizer.json
// Meta ships: 128000 regular tokens, 256 special tokens after them. Shared by the tests and the bench.
export const LLAMA3_REGULAR_TOKENS = 128000;

export function llama3TokenizerJson(): TokenizerJson {
  const vocab: Record<string, number> = {};
  for (let id = 0; id < LLAMA3_REGULAR_TOKENS; id++) vocab[llama3TokenizerJs.vocabById[id]] = id;
  const merges = [...llama3TokenizerJs.merges.keys()].map((key) => key.split(' ') as [string, string]);
  const added_tokens = llama3TokenizerJs.vocabById.slice(LLAMA3_REGULAR_TOKENS).map((content, i) => specialToken(LLAMA3_REGULAR_TOKENS + i, content));
  const tiny = buildTinyTokenizerJson() as Record<string, unknown>;
  return {
    ...tiny,
    added_tokens,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: LLAMA3_SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    model: { ...(tiny.model as object), vocab, merges } as TokenizerJson['model'],
  };
}

export const LLAMA3_CONFIG = { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' };

const SAMPLES = [
  'def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\n',
  'const total = items.reduce((sum, { price }) => sum + price * 1.0825, 0); // tax\n\t\treturn total;\n',
  "She said: \"I'm sure it's fine — we'll see.\" HE'LL COME; they'd've THOUGHT so.\n",
  'Größenwahn, naïve café, Ærøskøbing, Ελληνικά, русский текст, עברית, العربية.\n',
  '東京は日本の首都です。北京是中国的首都。서울은 한국의 수도입니다.\n',
  'Emoji: 🙂🚀👨‍👩‍👧‍👦 🇫🇷 ✔️ and flags 🏳️‍🌈.\n',
  'Numbers 1234567890, 3.14159, 2,718,281, 0x1F600, 1e-9, -42.\n',
  '   indented    with   runs\t\t\tof\u00a0\u00a0spaces\u2003and\u3000ideographic space   \n\n\n   \r\n\r\n',
  '<html><body class="x">A &amp; B</body></html>\n| a | b |\n|---|---|\n| 1 | 2 |\n',
];

// Deterministic varied text: generated English interleaved with code, scripts, emoji, digits and
// whitespace runs.
export function variedText(approxChars: number, seed = 7): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < approxChars; i++) {
    const part = i % 3 === 2 ? SAMPLES[(i * 7 + seed) % SAMPLES.length] : generateEnglish(120, seed + i);
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}
