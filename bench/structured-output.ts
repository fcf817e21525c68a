// Constrained decoding's cost (response_format, engine/token-mask.ts): (1) the mask alone on the real Llama-3
// vocabulary (128,256 tokens) — a fresh walk of the token trie per kind of parse state, a cached one, and the mean
// per step over random walks through a schema and json_object — beside the sampler's own unconstrained step over
// the same vocabulary; (2) per-token decode time with and without the mask on tiny random models (the demo
// model's 512-token vocabulary and a tiny model with the Llama-3 vocabulary), same seed, temperature 1.
// Run: node_modules/.bin/node bench/structured-output.ts [--tokens 400]
// (Figures in docs/benchmarks.md.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateText } from '../electron/node/engine/generate-text.ts';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import { JsonGrammar, type OutputFormat } from '../electron/node/engine/json-grammar.ts';
import { Sampler } from '../electron/node/engine/sampler.ts';
import { maskVocabulary, TokenMask } from '../electron/node/engine/token-mask.ts';
import { convertCheckpoint } from '../models/convert.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';
import { loadTokenizer, Tokenizer } from '../models/tokenizer/tokenizer.ts';
import { TINY_EOS_IDS } from '../models/tokenizer/tiny.ts';
import { mulberry32 } from '../electron/common/random.ts';
import { printTable } from './roofline.ts';
import { LLAMA3_CONFIG, llama3TokenizerJson } from '../test/unit/models/tokenizer-llama3-fixture.ts';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '400' } } });
const decodeTokens = Number(values.tokens);

const SCHEMA: OutputFormat = {
  type: 'json_schema',
  schema: {
    type: 'object',
    properties: {
      title: { type: 'string', maxLength: 40 },
      year: { type: 'integer' },
      tags: { type: 'array', items: { enum: ['fiction', 'history', 'science'] }, maxItems: 4 },
      rating: { type: ['number', 'null'] },
    },
    required: ['title', 'year', 'tags', 'rating'],
  },
};
const JSON_OBJECT: OutputFormat = { type: 'json_object' };

const ms = (start: number) => performance.now() - start;
const fixed = (n: number, digits = 3) => n.toFixed(digits);

// (1) The mask on the Llama-3 vocabulary.
const llama3 = new Tokenizer(llama3TokenizerJson(), LLAMA3_CONFIG);
let start = performance.now();
const vocabulary = maskVocabulary(llama3);
console.log(`Llama-3 vocabulary: ${llama3.vocabSize} tokens, ${vocabulary.plain.length} plain string tokens, tries of ${vocabulary.all.tokenAt.length} and ${vocabulary.other.tokenAt.length} nodes built in ${fixed(ms(start), 0)} ms (once per model load)`);

// Fresh walks from representative states: the text fed to a new mask, then allowed() timed without its cache.
const states: [string, OutputFormat, string][] = [
  ['after "{" (schema: a key literal next)', SCHEMA, '{'],
  ['inside a free string (json_object key)', JSON_OBJECT, '{"ab'],
  ['inside a bounded string (maxLength 40)', SCHEMA, '{"title":"ab'],
  ['inside an integer', SCHEMA, '{"year":19'],
  ['after ":" (json_object: any value)', JSON_OBJECT, '{"a":'],
  ['inside an enum array', SCHEMA, '{"tags":["fi'],
];
const rows: string[][] = [];
for (const [name, format, text] of states) {
  let best = Infinity;
  let allowed = 0;
  let cached = Infinity;
  for (let round = 0; round < 5; round++) {
    const mask = new TokenMask(JsonGrammar.of(format), llama3);
    for (const token of llama3.encode(text)) mask.accept(token);
    start = performance.now();
    allowed = mask.allowed().length;
    best = Math.min(best, ms(start));
    start = performance.now();
    mask.allowed();
    cached = Math.min(cached, ms(start));
  }
  rows.push([name, String(allowed), fixed(best), fixed(cached, 4)]);
}

// The sampler's unconstrained step on the full vocabulary at temperature 1 (as the decode below samples): the
// cost the mask adds to, before the model's own step.
const random = mulberry32(1);
const logits = Float32Array.from({ length: llama3.vocabSize }, () => (random() - 0.5) * 8);
const sampler = new Sampler({ temperature: 1, seed: 1 });
start = performance.now();
for (let i = 0; i < 50; i++) sampler.next(logits);
const samplerStep = ms(start) / 50;

// Random walks: each step draws uniformly among the allowed tokens (what a model would see), mask time per step.
function walk(format: OutputFormat, steps: number): { perStep: number; hitRate: number; values: number } {
  let total = 0;
  let count = 0;
  let values = 0;
  const pick = mulberry32(7);
  let mask = new TokenMask(JsonGrammar.of(format), llama3);
  let walks = 0;
  let hits = 0;
  while (count < steps) {
    const t0 = performance.now();
    const allowed = mask.allowed();
    total += ms(t0);
    count++;
    const token = allowed[Math.floor(pick() * allowed.length)];
    if (llama3.eosIds.includes(token) || mask.complete) {
      values++;
      walks += mask.walks;
      hits += mask.hits;
      mask = new TokenMask(JsonGrammar.of(format), llama3);
      continue;
    }
    mask.accept(token);
  }
  walks += mask.walks;
  hits += mask.hits;
  return { perStep: total / count, hitRate: hits / (hits + walks), values };
}
const schemaWalk = walk(SCHEMA, 300);
const objectWalk = walk(JSON_OBJECT, 300);

console.log('\nMask per step on the Llama-3 vocabulary (ms, best of 5)');
printTable(['state', 'tokens allowed', 'fresh walk', 'cached'], rows);
console.log('\nMean mask time per step over random walks (uniform among allowed tokens), beside the unconstrained sampler step');
printTable(
  ['format', 'mask ms/step', 'cache hit rate', 'values completed', 'sampler step ms (unconstrained, 128K)'],
  [
    ['schema (4 properties)', fixed(schemaWalk.perStep), `${(schemaWalk.hitRate * 100).toFixed(0)} %`, String(schemaWalk.values), fixed(samplerStep)],
    ['json_object', fixed(objectWalk.perStep), `${(objectWalk.hitRate * 100).toFixed(0)} %`, String(objectWalk.values), fixed(samplerStep)],
  ],
);

// (2) Decode with and without the mask on tiny models.
const root = mkdtempSync(join(tmpdir(), 'quire-bench-structured-'));
try {
  const shape = { originalContext: 2048, factor: 2, layers: 4, hiddenSize: 256, intermediateSize: 512, heads: 4, kvHeads: 2, seed: 7 };
  const demo = await tinyModel('demo', shape, false);
  const large = await tinyModel('llama3-vocab', { ...shape, vocabSize: 128256, demo: false }, true);
  const decodeRows: string[][] = [];
  for (const [name, dir] of [
    ['tiny, 512-token vocabulary', demo],
    ['tiny, Llama-3 vocabulary (128,256)', large],
  ] as const) {
    const tokenizer = await loadTokenizer(dir);
    const session = await EngineSession.load(dir, { provider: 'cpu' });
    const prompt = tokenizer.encode('Describe the book as JSON.', { addBos: true });
    const perToken = async (format: OutputFormat | null) => {
      let tokens = 0;
      let time = 0;
      for (let seed = 1; tokens < decodeTokens; seed++) {
        await session.sync(Array.from(prompt));
        const t0 = performance.now();
        const out = await generateText(session, tokenizer, { maxNewTokens: decodeTokens - tokens, sampling: { temperature: 1, seed }, format });
        time += ms(t0);
        tokens += out.tokens.length;
      }
      return time / tokens;
    };
    await perToken(null);
    // Alternated, best of 3: the machine's load changes between runs more than the mask costs.
    let [plain, schema, object] = [Infinity, Infinity, Infinity];
    for (let round = 0; round < 3; round++) {
      plain = Math.min(plain, await perToken(null));
      schema = Math.min(schema, await perToken(SCHEMA));
      object = Math.min(object, await perToken(JSON_OBJECT));
    }
    await session.release();
    decodeRows.push([name, fixed(plain), fixed(schema), `${(((schema - plain) / plain) * 100).toFixed(0)} %`, fixed(object), `${(((object - plain) / plain) * 100).toFixed(0)} %`]);
  }
  console.log(`\nDecode, ms per token (${decodeTokens} tokens per variant, alternated, best of 3, temperature 1)`);
  printTable(['model', 'no mask', 'schema', 'overhead', 'json_object', 'overhead'], decodeRows);
} finally {
  rmSync(root, { recursive: true, force: true });
}

async function tinyModel(name: string, options: Parameters<typeof writeTinyCheckpoint>[1], llama3Vocab: boolean): Promise<string> {
  const hf = join(root, `${name}-hf`);
  // End of turn never wins unconstrained, so the plain runs are as long as asked.
  await writeTinyCheckpoint(hf, { ...options, mutedTokens: llama3Vocab ? [128001, 128008, 128009] : [...TINY_EOS_IDS] });
  if (llama3Vocab) {
    writeFileSync(join(hf, 'tokenizer.json'), JSON.stringify(llama3TokenizerJson()));
    writeFileSync(join(hf, 'tokenizer_config.json'), JSON.stringify(LLAMA3_CONFIG));
  }
  const out = join(root, name);
  await convertCheckpoint(hf, out, { precision: 'fp32' });
  return out;
}
