// Needle-in-a-haystack evaluation as in the UltraLong paper's figure: for each length × depth cell, generated
// haystacks with a fact at that depth, greedy answers through the model's chat template, exact-match accuracy.
// A cell's length is the whole sequence, prompt plus room for the answer (as quire-nano's data counts it), so
// a model's full context is a valid length. The grid's walk is shared by `quire eval niah` (runNiah: one
// in-process engine session) and the app's self-check (local-niah.ts: the runtime's answer()); its prompts are
// ordered so that consecutive ones share their filler up to the needle, and the engine re-reads only what differs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatTemplateFromConfig } from '../../../models/chat-template.ts';
import { readManifest } from '../../../models/manifest.ts';
import { KV_DTYPES, USER_KV_DTYPES, type KvDtype, type ModelManifest } from '../../../models/model-spec.ts';
import { loadTokenizer, type TokenizerConfigJson } from '../../../models/tokenizer/tokenizer.ts';
import { QuireError } from '../../common/errors.ts';
import { mulberry32 } from '../../common/random.ts';
import { EngineSession, type LoadOptions } from '../engine/engine-session.ts';
import { generateText } from '../engine/generate-text.ts';
import { buildHaystackPrompt, Filler, type PromptKit } from '../runtime/haystack.ts';
import { makeSample, MAX_NEW_TOKENS, scoreAnswer, type TaskName, type TaskSample } from './tasks.ts';

export interface NiahCell {
  length: number;
  depth: number;
  accuracy: number;
  samples: number;
  // Wall time of the cell's prompts (prefill of what was not cached, plus decoding).
  seconds: number;
}

export interface NiahResult {
  cells: NiahCell[];
  mean: number;
}

export interface NiahGrid {
  lengths: readonly number[];
  depths: readonly number[];
  samples?: number;
  seed?: number;
  task?: TaskName;
  onCell?: (cell: NiahCell) => void;
}

export interface NiahOptions extends NiahGrid {
  // KV dtype the caller wants measured: refused unless it is the model's own.
  kv?: KvDtype;
  context?: number;
  provider?: LoadOptions['provider'];
  signal?: AbortSignal;
}

// One prompt of the grid: the haystack to build (its sample's filler stream, its length in tokens, the facts and
// question) and the room its answer has.
export interface NiahPrompt {
  fillerSeed: number;
  length: number;
  sample: TaskSample;
  maxNewTokens: number;
}

// How a run asks its prompts: `build` makes one's tokens, `answer` runs them greedily to the answer's text (the
// cell's time is answer's alone).
export interface NiahAsker<P> {
  build(prompt: NiahPrompt): Promise<P>;
  answer(prompt: P, maxNewTokens: number): Promise<string>;
}

// Independent seeds per sample and per prompt, so a cell's haystacks do not depend on which other cells run.
export function seedOf(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) h = Math.imul(h ^ (p >>> 0), 0x01000193) ^ (h >>> 15);
  return h >>> 0;
}

function checkGrid(options: NiahGrid): void {
  if (options.lengths.length === 0 || options.lengths.some((l) => !Number.isInteger(l) || l < 1)) {
    throw new QuireError('INVALID_INPUT', 'lengths must be positive integers');
  }
  if (options.depths.length === 0 || options.depths.some((d) => !(d >= 0 && d <= 100))) throw new QuireError('INVALID_INPUT', 'depths must be percents from 0 to 100');
  if (options.samples !== undefined && (!Number.isInteger(options.samples) || options.samples < 1)) throw new QuireError('INVALID_INPUT', 'samples must be a positive integer');
}

// The KV dtype is baked into the converted graph: measuring another one means another conversion, not a flag.
function checkKv(manifest: ModelManifest, kv: KvDtype): void {
  if (manifest.kvDtype !== kv) {
    throw new QuireError(
      'UNSUPPORTED_MODEL',
      `--kv ${kv}: this model's KV cache is ${manifest.kvDtype}, fixed when it was converted (quire convert writes ${KV_DTYPES.join(' or ')} KV)`,
    );
  }
}

// Asks every prompt of the grid, deepest needle first within a length and sample (the next prompt then shares
// everything before its shallower needle), and reports each cell once its last sample is scored. Each prompt is
// built while the one before it is answered.
export async function walkNiahGrid<P>(grid: NiahGrid, asker: NiahAsker<P>): Promise<NiahResult> {
  checkGrid(grid);
  const lengths = [...new Set(grid.lengths)];
  const depths = [...new Set(grid.depths)];
  const samples = grid.samples ?? 1;
  const seed = grid.seed ?? 0;
  const task = grid.task ?? 'niah';
  const maxNewTokens = MAX_NEW_TOKENS[task];
  const deepestFirst = [...depths].sort((a, b) => b - a);
  const order = lengths.flatMap((length) => Array.from({ length: samples }, (_, s) => deepestFirst.map((depth) => ({ length, s, depth }))).flat());
  const build = ({ length, s, depth }: (typeof order)[number]) => {
    const sample = makeSample(task, mulberry32(seedOf(seed, s, length, depth * 1000)), depth);
    const prompt = asker.build({ fillerSeed: seedOf(seed, s), length: length - maxNewTokens, sample, maxNewTokens });
    // A run that fails before it gets to this prompt leaves it unawaited.
    prompt.catch(() => undefined);
    return { sample, prompt };
  };
  const hits = new Map<string, number>();
  const seconds = new Map<string, number>();
  const done: NiahCell[] = [];
  let next = build(order[0]);
  for (const [i, { length, s, depth }] of order.entries()) {
    const { sample, prompt } = next;
    const ready = await prompt;
    if (i + 1 < order.length) next = build(order[i + 1]);
    const started = performance.now();
    const text = await asker.answer(ready, maxNewTokens);
    const key = `${length} ${depth}`;
    seconds.set(key, (seconds.get(key) ?? 0) + (performance.now() - started) / 1000);
    hits.set(key, (hits.get(key) ?? 0) + (scoreAnswer(task, text, sample.expected) ? 1 : 0));
    if (s === samples - 1) {
      const cell = { length, depth, accuracy: hits.get(key)! / samples, samples, seconds: seconds.get(key)! };
      done.push(cell);
      grid.onCell?.(cell);
    }
  }
  // Report cells in the order asked (lengths, then depths), not the order they ran.
  const cells = lengths.flatMap((length) => depths.map((depth) => done.find((c) => c.length === length && c.depth === depth)!));
  return { cells, mean: cells.reduce((sum, c) => sum + c.accuracy, 0) / cells.length };
}

// The grid on one engine session in this process (`quire eval niah`, the benches).
export async function runNiah(modelDir: string, options: NiahOptions): Promise<NiahResult> {
  checkGrid(options);
  const manifest = readManifest(modelDir);
  if (options.kv) checkKv(manifest, options.kv);
  const needed = Math.max(...options.lengths);
  const positions = manifest.config.maxPositionEmbeddings;
  if (needed > positions) throw new QuireError('DOES_NOT_FIT', `length ${needed} exceeds the model's ${positions} positions`);
  const context = options.context ?? needed;
  if (context < needed) throw new QuireError('DOES_NOT_FIT', `length ${needed} does not fit in a ${context}-token context`);

  const tokenizer = await loadTokenizer(modelDir);
  const config = JSON.parse(readFileSync(join(modelDir, 'tokenizer_config.json'), 'utf8')) as TokenizerConfigJson;
  const kit: PromptKit = { tokenizer, template: chatTemplateFromConfig(config) };
  const session = await EngineSession.load(modelDir, { context, ...(options.provider ? { provider: options.provider } : {}) });
  const fillers = new Map<number, Filler>();
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    return await walkNiahGrid(options, {
      build: async ({ fillerSeed, length, sample }) => {
        if (!fillers.has(fillerSeed)) fillers.set(fillerSeed, new Filler(tokenizer, fillerSeed));
        return buildHaystackPrompt(kit, fillers.get(fillerSeed)!, length, sample.inserts, sample.question).tokens;
      },
      answer: async (tokens, maxNewTokens) => {
        await session.sync(tokens, signal);
        return (await generateText(session, tokenizer, { maxNewTokens, sampling: { greedy: true }, ...signal })).text;
      },
    });
  } finally {
    await session.release();
  }
}
