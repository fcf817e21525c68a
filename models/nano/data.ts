// quire-nano data: synthetic passkey-retrieval documents rendered through the model's own Llama-3.1 chat
// template and tokenized with the project's tokenizer, so the training tokens are exactly what the app feeds.
//
//   node_modules/.bin/node models/nano/data.ts tokenizer <outDir>
//   node_modules/.bin/node models/nano/data.ts train <tokDir> <out.prefix> <count> <length> <seed> [<notLast> [<numbers>]] [--quote | --echo]
//   node_modules/.bin/node models/nano/data.ts niah  <tokDir> <out.prefix> <lengths> <depths> <samples> <seed> [<numbers>] [--quote]
//
// --quote: the answer is the digits then the fact sentence as a verbatim quote (answerText), not the digits alone:
// the shipped model's answer format, taught in stage 2c (README "Quoted answers").
// --echo: the answer is the question's key alone ("the river"): the copy from the question that the quote needs,
// as the whole task (stage 2c's curriculum, runs U1–U3).
//
// <numbers> (training sets only, default 0): the share of filler sentences given an extra stray number of 3–5
// digits, so a 2K-token training document holds as many passkey-like distractors as a 4K-token test one.
//
// Each set is <prefix>.tok (uint16 [count, length], right-padded), <prefix>.code (uint8 per token: 0 no loss,
// 1 language-model loss, 2 a restated passkey digit (retrievable from earlier in the document), 3 the answer's
// digits after the assistant header, 4 the rest of the answer: <|eot_id|>, after the quote with --quote, 5 the key
// inside the quote) and <prefix>.json (shape, answers, real lengths).
// Everything is ASCII, so one character of the rendered prompt is one byte of the token stream.
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chatTemplateFromConfig, type ChatTemplate } from '../chat-template.ts';
import { writeTinyTokenizer } from '../tokenizer/tiny.ts';
import { answerText, factSentence, fillerSentences, NAMES, passkey, pick, question } from '../passkey-text.ts';
import { loadTokenizer, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { mulberry32 } from '../../electron/common/random.ts';

// The project's one seeded generator, re-exported for the NIAH builders that share this module's vocabulary.
export { mulberry32 };

// Training-only: denser distractors than the test haystack (see <numbers> above).
function withStrayNumbers(r: () => number, sentences: string[], share: number): string[] {
  if (share <= 0) return sentences;
  return sentences.map((s) => (r() < share ? `${s.slice(0, -1)} ${Math.floor(10 ** (2 + Math.floor(r() * 3)) * (1 + 9 * r()))}${s.slice(-1)}` : s));
}

type Format = 'digits' | 'quote' | 'echo';

interface Item {
  text: string;
  digits?: 'first' | 'restated';
}

interface Built {
  ids: Uint32Array;
  codes: Uint8Array;
  answer: string;
}

// Render the document + question through the chat template (user turn) with the answer as the assistant turn;
// mark token codes from character spans.
function build(tok: Tokenizer, tpl: ChatTemplate, items: Item[], ask: string, answer: string, format: Format): Built {
  const doc = items.map((it) => it.text).join(' ');
  const user = `${doc}\n\n${question(ask)}`;
  const messages = [
    { role: 'user' as const, content: user },
    { role: 'assistant' as const, content: format === 'quote' ? answerText(ask, answer) : format === 'echo' ? ask : answer },
  ];
  const rendered = tpl.render(messages);
  const ids = tpl.encode(tok, messages);
  // Character class of every rendered position: 0 none, 1 lm, 2 restated digit, 3 answer digits, 4 the rest of
  // the answer, 5 the key in its quote (the one token of the quote not copied from just before); -1 first digit.
  const cls = new Int8Array(rendered.length).fill(1);
  const docAt = rendered.indexOf(user);
  if (docAt < 0) throw new Error('document not found in rendered prompt');
  let at = docAt;
  for (const it of items) {
    if (it.digits) {
      const m = /\d{5}/.exec(it.text)!;
      cls.fill(it.digits === 'first' ? -1 : 2, at + m.index, at + m.index + 5);
    }
    at += it.text.length + 1;
  }
  const header = '<|start_header_id|>assistant<|end_header_id|>\n\n';
  const ansAt = rendered.lastIndexOf(header) + header.length;
  if (format === 'echo') {
    cls.fill(4, ansAt);
    cls.fill(5, ansAt + 'the'.length, ansAt + ask.length);
  } else {
    cls.fill(3, ansAt, ansAt + answer.length);
    cls.fill(4, ansAt + answer.length);
  }
  if (format === 'quote') {
    const keyAt = rendered.indexOf(` ${ask} is `, ansAt) + ' the'.length;
    cls.fill(5, keyAt, keyAt + ask.length - 'the'.length);
  }
  const codes = new Uint8Array(ids.length);
  let pos = 0;
  for (let i = 0; i < ids.length; i++) {
    const n = tok.tokenBytes(ids[i]).length;
    const c = cls[pos];
    codes[i] = c < 0 ? 0 : c;
    pos += n;
  }
  if (pos !== rendered.length) throw new Error(`token bytes ${pos} != rendered ${rendered.length}`);
  return { ids, codes, answer };
}

// Training document: 2–4 facts (1 with probability 0.1) among filler, optional restatements, question about one.
function trainingExample(tok: Tokenizer, tpl: ChatTemplate, r: () => number, length: number, fixed: number, notLastShare: number, numbers: number, format: Format): Built {
  const avail = length - fixed;
  const maxFacts = Math.max(2, Math.floor(avail / 27));
  const nFacts = Math.min(maxFacts, r() < 0.1 ? 1 : 2 + Math.floor(r() * 4));
  const names: string[] = [];
  while (names.length < nFacts) {
    const n = pick(r, NAMES);
    if (!names.includes(n)) names.push(n);
  }
  const keys = names.map(() => passkey(r));
  // Restatements repeat a fact later on: their digits are retrievable, so they train the same name-matching copy
  // as the answer, several times per document (dense signal). Capped by what fits.
  let room = maxFacts - nFacts;
  const restate = names.map(() => r() < 0.7 && room-- > 0);
  const factTokens = 27 * (nFacts + restate.filter(Boolean).length);
  // Token budget for the document: 30–100% of what the length leaves after the template overhead.
  const budget = Math.max(factTokens, Math.floor(avail * (0.3 + 0.7 * r())));
  const facts: Item[] = names.map((n, i) => ({ text: factSentence(n, keys[i]), digits: 'first' }));
  const filler: Item[] = [];
  let used = factTokens;
  while (used < budget) {
    for (const s of withStrayNumbers(r, fillerSentences(r, 4), numbers)) {
      const n = tok.encode(' ' + s).length;
      if (used + n > budget) {
        used = budget;
        break;
      }
      filler.push({ text: s });
      used += n;
    }
  }
  // Place facts at random slots; restate up to two of them later on.
  const items = [...filler];
  for (const f of facts) items.splice(Math.floor(r() * (items.length + 1)), 0, f);
  for (const [i, n] of names.entries()) {
    if (restate[i]) {
      const first = items.findIndex((it) => it.text === facts[i].text);
      const slot = first + 1 + Math.floor(r() * (items.length - first));
      items.splice(slot, 0, { text: factSentence(n, keys[i]), digits: 'restated' });
    }
  }
  // Ask about the most recent fact only rarely while the key matching is learned (notLastShare 0.9): otherwise
  // "copy the last number" scores well and the model settles there (seen in run 1: 85% at depth 100, ~0%
  // elsewhere). Once it is learned, a lower share keeps the model from learning the opposite bias.
  const lastKey = [...items].reverse().find((it) => it.digits)!.text;
  const notLast = names.map((_, i) => i).filter((i) => !lastKey.startsWith(factSentence(names[i], '').slice(0, -1)));
  const q = nFacts > 1 && notLast.length > 0 && r() < notLastShare ? pick(r, notLast) : Math.floor(r() * nFacts);
  return build(tok, tpl, items, names[q], keys[q], format);
}

// NIAH document: filler to the target length with one needle at the given depth percent (by sentence).
function niahExample(tok: Tokenizer, tpl: ChatTemplate, r: () => number, length: number, depth: number, fixed: number, numbers: number, format: Format): Built {
  const name = pick(r, NAMES);
  const key = passkey(r);
  const needle: Item = { text: factSentence(name, key), digits: 'first' };
  const budget = length - fixed - 27;
  const filler: Item[] = [];
  let used = 0;
  // Fill to just under the target: skip sentences that overflow, stop after 30 misses.
  let misses = 0;
  while (misses < 30) {
    for (const s of withStrayNumbers(r, fillerSentences(r, 8), numbers)) {
      const n = tok.encode(' ' + s).length;
      if (used + n > budget) misses++;
      else {
        filler.push({ text: s });
        used += n;
      }
    }
  }
  const slot = Math.round((depth / 100) * filler.length);
  const items = [...filler];
  items.splice(slot, 0, needle);
  return build(tok, tpl, items, name, key, format);
}

async function load(tokDir: string, format: Format) {
  const tok = await loadTokenizer(tokDir);
  const config = JSON.parse(await readFile(join(tokDir, 'tokenizer_config.json'), 'utf8'));
  const tpl = chatTemplateFromConfig(config);
  // Fixed template overhead: everything but the document (system header, question, answer, markers).
  const empty = build(tok, tpl, [], 'the document', '12345', format);
  return { tok, tpl, fixed: empty.ids.length + 2 };
}

function save(prefix: string, length: number, rows: Built[], meta: Record<string, unknown>, padId: number) {
  const tokens = new Uint16Array(rows.length * length).fill(padId);
  const codes = new Uint8Array(rows.length * length);
  rows.forEach((b, i) => {
    if (b.ids.length > length) throw new Error(`example ${i} has ${b.ids.length} > ${length} tokens`);
    tokens.set(b.ids, i * length);
    codes.set(b.codes, i * length);
  });
  writeFileSync(`${prefix}.tok`, tokens);
  writeFileSync(`${prefix}.code`, codes);
  writeFileSync(
    `${prefix}.json`,
    JSON.stringify({ count: rows.length, length, lengths: rows.map((b) => b.ids.length), answers: rows.map((b) => b.answer), ...meta }),
  );
}

async function main() {
  const [cmd, ...given] = process.argv.slice(2);
  const format: Format = given.includes('--quote') ? 'quote' : given.includes('--echo') ? 'echo' : 'digits';
  const args = given.filter((a) => a !== '--quote' && a !== '--echo');
  if (cmd === 'tokenizer') {
    await writeTinyTokenizer(args[0]);
    return;
  }
  const { tok, tpl, fixed } = await load(args[0], format);
  const padId = tok.specialTokens.get('<|finetune_right_pad_id|>')!;
  const t0 = Date.now();
  if (cmd === 'train') {
    const [, prefix, count, length, seed, notLast = '0.9', numbers = '0'] = args;
    const r = mulberry32(Number(seed));
    const rows: Built[] = [];
    while (rows.length < Number(count)) {
      const b = trainingExample(tok, tpl, r, Number(length), fixed, Number(notLast), Number(numbers), format);
      if (b.ids.length <= Number(length)) rows.push(b);
    }
    save(prefix, Number(length), rows, { seed: Number(seed), format }, padId);
  } else if (cmd === 'niah') {
    const [, prefix, lengths, depths, samples, seed, numbers = '0'] = args;
    const r = mulberry32(Number(seed));
    const rows: Built[] = [];
    const cells: { length: number; depth: number }[] = [];
    const maxLen = Math.max(...lengths.split(',').map(Number));
    for (const length of lengths.split(',').map(Number))
      for (const depth of depths.split(',').map(Number))
        for (let s = 0; s < Number(samples); s++) {
          rows.push(niahExample(tok, tpl, r, length, depth, fixed, Number(numbers), format));
          cells.push({ length, depth });
        }
    save(prefix, maxLen, rows, { seed: Number(seed), cells, format }, padId);
  } else throw new Error(`unknown command ${cmd}`);
  console.error(`${cmd}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// No top-level await: this module is also bundled into the desktop app's CommonJS main process (via the
// NIAH self-check), where top-level await does not exist.
if (process.argv[1]?.endsWith('data.ts')) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
