// Needle-in-a-haystack evaluation as in the UltraLong paper's figure: for each length × depth cell, generated
// haystacks with a fact at that depth, greedy answers through the model's chat template, exact-match accuracy.
// A cell's length is the whole sequence, prompt plus room for the answer (as quire-nano's data counts it), so
// a model's full context is a valid length. One in-process engine session for the run; prompts are ordered so that consecutive
// ones share their filler up to the needle, and sync() re-runs only what differs.
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
import { buildHaystackPrompt, Filler, type PromptKit } from './haystack.ts';
import { makeSample, MAX_NEW_TOKENS, scoreAnswer, type TaskName } from './tasks.ts';


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

export interface NiahOptions {
  lengths: readonly number[];
  depths: readonly number[];
  samples?: number;
  seed?: number;
  task?: TaskName;
  // KV dtype the caller wants measured: refused unless it is the model's own.
  kv?: KvDtype;
  context?: number;
  provider?: LoadOptions['provider'];
  signal?: AbortSignal;
  onCell?: (cell: NiahCell) => void;
}

// Independent seeds per sample and per prompt, so a cell's haystacks do not depend on which other cells run.
export function seedOf(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) h = Math.imul(h ^ (p >>> 0), 0x01000193) ^ (h >>> 15);
  return h >>> 0;
}

function checkOptions(options: NiahOptions): void {
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

export async function runNiah(modelDir: string, options: NiahOptions): Promise<NiahResult> {
  checkOptions(options);
  const manifest = readManifest(modelDir);
  if (options.kv) checkKv(manifest, options.kv);
  const lengths = [...new Set(options.lengths)];
  const depths = [...new Set(options.depths)];
  const samples = options.samples ?? 1;
  const seed = options.seed ?? 0;
  const task = options.task ?? 'niah';
  const maxNewTokens = MAX_NEW_TOKENS[task];
  const needed = Math.max(...lengths);
  const positions = manifest.config.maxPositionEmbeddings;
  if (needed > positions) throw new QuireError('DOES_NOT_FIT', `length ${needed} exceeds the model's ${positions} positions`);
  const context = options.context ?? needed;
  if (context < needed) throw new QuireError('DOES_NOT_FIT', `length ${needed} does not fit in a ${context}-token context`);

  const tokenizer = await loadTokenizer(modelDir);
  const config = JSON.parse(readFileSync(join(modelDir, 'tokenizer_config.json'), 'utf8')) as TokenizerConfigJson;
  const kit: PromptKit = { tokenizer, template: chatTemplateFromConfig(config) };
  const session = await EngineSession.load(modelDir, { context, ...(options.provider ? { provider: options.provider } : {}) });
  const fillers = new Map<number, Filler>();
  const done: NiahCell[] = [];
  try {
    for (const length of lengths) {
      const hits = new Map(depths.map((d) => [d, 0]));
      const seconds = new Map(depths.map((d) => [d, 0]));
      for (let s = 0; s < samples; s++) {
        if (!fillers.has(s)) fillers.set(s, new Filler(tokenizer, seedOf(seed, s)));
        // Deepest needle first: the next prompt shares everything before its (shallower) needle.
        for (const depth of [...depths].sort((a, b) => b - a)) {
          const sample = makeSample(task, mulberry32(seedOf(seed, s, length, depth * 1000)), depth);
          const prompt = buildHaystackPrompt(kit, fillers.get(s)!, length - maxNewTokens, sample.inserts, sample.question);
          const started = performance.now();
          await session.sync(prompt.tokens, options.signal ? { signal: options.signal } : {});
          const { text } = await generateText(session, tokenizer, {
            maxNewTokens,
            sampling: { greedy: true },
            ...(options.signal ? { signal: options.signal } : {}),
          });
          seconds.set(depth, seconds.get(depth)! + (performance.now() - started) / 1000);
          if (scoreAnswer(task, text, sample.expected)) hits.set(depth, hits.get(depth)! + 1);
          if (s === samples - 1) {
            const cell = { length, depth, accuracy: hits.get(depth)! / samples, samples, seconds: seconds.get(depth)! };
            done.push(cell);
            options.onCell?.(cell);
          }
        }
      }
    }
  } finally {
    await session.release();
  }
  // Report cells in the order asked (lengths, then depths), not the order they ran.
  const cells = lengths.flatMap((length) => depths.map((depth) => done.find((c) => c.length === length && c.depth === depth)!));
  return { cells, mean: cells.reduce((sum, c) => sum + c.accuracy, 0) / cells.length };
}
