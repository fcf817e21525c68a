// Encode speed on ≥ 1M tokens of generated varied text: Quire's tokenizer side by side with
// llama3-tokenizer-js and @huggingface/tokenizers, with exactness of each against Quire's output
// (which the unit tests pin to the real Llama-3 vocabulary).
// Run: node_modules/.bin/node bench/tokenizer.ts [approxChars]
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { Llama3Tokenizer } from 'llama3-tokenizer-js';
import { Tokenizer } from '../models/tokenizer/tokenizer.ts';
import { LLAMA3_CONFIG, llama3TokenizerJson, variedText } from '../test/unit/models/tokenizer-llama3-fixture.ts';

const chars = Number(process.argv[2] ?? 4_600_000);
const text = variedText(chars);
const megabytes = new TextEncoder().encode(text).length / 1e6;
const json = llama3TokenizerJson();

interface Row {
  name: string;
  loadMs: number;
  seconds: number;
  ids: ArrayLike<number>;
}

function run(name: string, load: () => (t: string) => ArrayLike<number>): Row {
  const t0 = performance.now();
  const encode = load();
  const t1 = performance.now();
  const ids = encode(text);
  const seconds = (performance.now() - t1) / 1000;
  return { name, loadMs: t1 - t0, seconds, ids };
}

const rows = [
  run('quire (models/tokenizer)', () => {
    const tokenizer = new Tokenizer(json, LLAMA3_CONFIG);
    return (t) => tokenizer.encode(t);
  }),
  run('llama3-tokenizer-js', () => {
    const llama3 = new Llama3Tokenizer();
    return (t) => llama3.encode(t, { bos: false, eos: false });
  }),
  run('@huggingface/tokenizers', () => {
    const hf = new HfTokenizer(json, LLAMA3_CONFIG);
    return (t) => hf.encode(t, { add_special_tokens: false }).ids;
  }),
];

function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const reference = rows[0].ids;
console.log(`text: ${megabytes.toFixed(2)} MB, ${reference.length} tokens (Llama-3 vocabulary)\n`);
console.log('| tokenizer | load ms | encode s | tokens/s | MB/s | same ids as quire |');
console.log('|---|---:|---:|---:|---:|---|');
for (const row of rows) {
  const diff = firstDifference(row.ids, reference);
  const same = diff < 0 ? 'yes' : `no (first difference at token ${diff})`;
  console.log(
    `| ${row.name} | ${row.loadMs.toFixed(0)} | ${row.seconds.toFixed(2)} | ${Math.round(row.ids.length / row.seconds).toLocaleString('en-US')} | ${(megabytes / row.seconds).toFixed(2)} | ${same} |`,
  );
}
