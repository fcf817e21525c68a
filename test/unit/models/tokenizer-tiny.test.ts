import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TINY_BOS_ID,
  TINY_EOS_IDS,
  TINY_VOCAB_SIZE,
  buildTinyTokenizerJson,
  writeTinyTokenizer,
} from '../../../models/tokenizer/tiny.ts';

let dir = '';
let json: Record<string, unknown>;
let config: Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quire-tiny-tok-'));
  await writeTinyTokenizer(dir);
  json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
  config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('tiny tokenizer', () => {
  it('has the advertised vocabulary layout', () => {
    const model = json.model as { vocab: Record<string, number>; merges: unknown[] };
    const added = json.added_tokens as { id: number; content: string }[];
    expect(Object.keys(model.vocab).length + added.length).toBe(TINY_VOCAB_SIZE);
    expect(added.find((t) => t.content === '<|begin_of_text|>')?.id).toBe(TINY_BOS_ID);
    expect(TINY_EOS_IDS.map((id) => added.find((t) => t.id === id)?.content)).toEqual([
      '<|end_of_text|>',
      '<|eom_id|>',
      '<|eot_id|>',
    ]);
    expect(config.bos_token).toBe('<|begin_of_text|>');
    expect(config.eos_token).toBe('<|eot_id|>');
    expect(String(config.chat_template)).toContain('<|start_header_id|>');
  });

  it('is deterministic', () => {
    expect(JSON.stringify(buildTinyTokenizerJson())).toBe(JSON.stringify(json));
  });

  it('is usable by an independent Hugging Face implementation', () => {
    const hf = new HfTokenizer(json, config);
    const text = 'The answer to the question is in the book, page 1234.\n\nDon\'t stop — ünïcödé 日本 🙂';
    const { ids } = hf.encode(text, { add_special_tokens: true });
    expect(ids[0]).toBe(TINY_BOS_ID);
    expect(ids.length).toBeLessThan(new TextEncoder().encode(text).length);
    expect(hf.decode(ids, { skip_special_tokens: true })).toBe(text);
    expect(hf.encode('<|eot_id|>', { add_special_tokens: false }).ids).toEqual([TINY_EOS_IDS[2]]);
  });
});
