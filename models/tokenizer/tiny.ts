import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LLAMA31_CHAT_TEMPLATE } from '../llama31-chat-template.ts';
import { BYTE_ORDER, BYTE_TO_CHAR, bytesToSymbols } from './byte-level.ts';
import { LLAMA3_SPLIT_PATTERN, compileSplitPattern, forEachPiece } from './pretokenizer.ts';
import { mulberry32 } from '../../electron/common/random.ts';

// A small but real Llama-3-format tokenizer for tiny test models: the 256 byte symbols, merges learned
// from deterministic generated English, and the first eleven Llama-3 special tokens in Llama-3's order,
// so ids keep their Llama-3 offsets from the first special.

const MERGES = 245;
export const TINY_SPECIAL_TOKENS = [
  '<|begin_of_text|>',
  '<|end_of_text|>',
  '<|reserved_special_token_0|>',
  '<|reserved_special_token_1|>',
  '<|finetune_right_pad_id|>',
  '<|reserved_special_token_2|>',
  '<|start_header_id|>',
  '<|end_header_id|>',
  '<|eom_id|>',
  '<|eot_id|>',
  '<|python_tag|>',
] as const;

const FIRST_SPECIAL = 256 + MERGES;
export const TINY_VOCAB_SIZE = FIRST_SPECIAL + TINY_SPECIAL_TOKENS.length;
export const TINY_BOS_ID = FIRST_SPECIAL;
// generation_config.json eos_token_id of Llama-3.1 Instruct: end_of_text, eom_id, eot_id.
export const TINY_EOS_IDS: readonly number[] = [FIRST_SPECIAL + 1, FIRST_SPECIAL + 8, FIRST_SPECIAL + 9];

const WORDS = (
  'the of and to in is was he for it with as his on be at by had not are but from or have an they which ' +
  'one you were her all she there would their we him been has when who will more no if out so said what ' +
  'up its about into than them can only other new some could time these two may then do first any my now ' +
  'such like our over man me even most made after also did many before must through back years where much ' +
  'your way well down should because each just those people how too little state good very make world ' +
  'still own see men work long get here between both life being under never day same another know while ' +
  'last might us great old year off come since against go came right used take three chapter question ' +
  "answer book document page river house morning letter evening garden window story don't it's I'm we'll"
).split(' ');


export function generateEnglish(words: number, seed = 1): string {
  const random = mulberry32(seed);
  const parts: string[] = [];
  let sentenceStart = true;
  for (let i = 0; i < words; i++) {
    let word = WORDS[Math.floor(random() * WORDS.length)];
    if (sentenceStart) word = word[0].toUpperCase() + word.slice(1);
    const r = random();
    if (r < 0.02) word = String(Math.floor(random() * 2000));
    parts.push(word);
    sentenceStart = r > 0.9;
    parts.push(sentenceStart ? (r > 0.98 ? '.\n\n' : r > 0.95 ? '? ' : '. ') : r < 0.06 ? ', ' : ' ');
  }
  return parts.join('');
}

// Classic BPE training over pre-tokenized words: repeatedly merge the most frequent adjacent pair
// (first seen wins ties, so the result is deterministic).
export function learnMerges(text: string, count: number): [string, string][] {
  const encoder = new TextEncoder();
  const frequency = new Map<string, number>();
  forEachPiece(text, compileSplitPattern(LLAMA3_SPLIT_PATTERN), (piece) => {
    const symbols = bytesToSymbols(encoder.encode(piece));
    frequency.set(symbols, (frequency.get(symbols) ?? 0) + 1);
  });
  const words = [...frequency].map(([symbols, n]) => ({ parts: [...symbols], n }));
  const merges: [string, string][] = [];
  while (merges.length < count) {
    const pairs = new Map<string, number>();
    for (const { parts, n } of words) {
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = `${parts[i]} ${parts[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    }
    let best = '';
    let bestCount = 0;
    for (const [key, n] of pairs) if (n > bestCount) [best, bestCount] = [key, n];
    if (bestCount === 0) break;
    const [a, b] = best.split(' ');
    merges.push([a, b]);
    for (const word of words) {
      const out: string[] = [];
      for (let i = 0; i < word.parts.length; i++) {
        if (i + 1 < word.parts.length && word.parts[i] === a && word.parts[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(word.parts[i]);
      }
      word.parts = out;
    }
  }
  return merges;
}

export function buildTinyTokenizerJson(): object {
  const merges = learnMerges(generateEnglish(20_000), MERGES);
  if (merges.length !== MERGES) throw new Error(`tiny tokenizer corpus yields only ${merges.length} merges`);
  const vocab: Record<string, number> = {};
  BYTE_ORDER.forEach((byte, id) => (vocab[BYTE_TO_CHAR[byte]] = id));
  merges.forEach(([a, b], i) => (vocab[a + b] = 256 + i));
  if (Object.keys(vocab).length !== FIRST_SPECIAL) throw new Error('tiny tokenizer merges produce duplicate tokens');
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: TINY_SPECIAL_TOKENS.map((content, i) => specialToken(FIRST_SPECIAL + i, content)),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: LLAMA3_SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: {
            '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [TINY_BOS_ID], tokens: ['<|begin_of_text|>'] },
          },
        },
      ],
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: true,
      vocab,
      merges,
    },
  };
}

export function buildTinyTokenizerConfig(): object {
  return {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: Object.fromEntries(
      TINY_SPECIAL_TOKENS.map((content, i) => [
        String(FIRST_SPECIAL + i),
        { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      ]),
    ),
    bos_token: '<|begin_of_text|>',
    chat_template: LLAMA31_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: true,
    eos_token: '<|eot_id|>',
    model_input_names: ['input_ids', 'attention_mask'],
    model_max_length: 131072,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}

export async function writeTinyTokenizer(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(buildTinyTokenizerJson(), null, 2));
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(buildTinyTokenizerConfig(), null, 2));
}

// An added_tokens entry as Hugging Face writes special tokens: matched whole, never normalized or split.
export function specialToken(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}
