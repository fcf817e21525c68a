import { QuireError } from '../common/errors.ts';
import { intOption, listOption, numberOption, parseCommandArgs } from './args.ts';
import { jsonOutput, type Command } from './command.ts';
import { ENGINE_OPTIONS, openEngine, tokenIds } from './engine-args.ts';
import type { SamplingOptions } from '../node/engine/sampler.ts';

const USAGE =
  'quire generate --model <dir> (--ids L | --prompt TEXT) [--max-new-tokens N] [--greedy | --temperature T --top-p P --top-k K --seed S] ' +
  '[--repetition-penalty R] [--stop STR]… [--context N] [--provider P] [--json]';
const DEFAULT_MAX_NEW_TOKENS = 128;

const OPTIONS = {
  ...ENGINE_OPTIONS,
  ids: { type: 'string' },
  prompt: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  greedy: { type: 'boolean' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'top-k': { type: 'string' },
  seed: { type: 'string' },
  'repetition-penalty': { type: 'string' },
  stop: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

export const generate: Command = {
  summary: 'generate text from token ids or a raw prompt (streams; --json for tokens and text)',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, OPTIONS, USAGE);
    if ((values.ids === undefined) === (values.prompt === undefined)) throw new QuireError('USAGE', `give exactly one of --ids and --prompt (usage: ${USAGE})`);
    const sampled = ['temperature', 'top-p', 'top-k', 'seed'].filter((k) => values[k as keyof typeof values] !== undefined);
    if (values.greedy && sampled.length) throw new QuireError('USAGE', `--greedy excludes --${sampled[0]}`);
    const maxNewTokens = intOption(values['max-new-tokens'], 'max-new-tokens', { min: 1 }) ?? DEFAULT_MAX_NEW_TOKENS;
    // Greedy unless a sampling option is given: the CLI is for reproducible runs.
    const sampling: SamplingOptions = {
      greedy: sampled.length === 0 || values.greedy === true,
      temperature: numberOption(values.temperature, 'temperature') ?? 1,
      topP: numberOption(values['top-p'], 'top-p') ?? 1,
      topK: intOption(values['top-k'], 'top-k') ?? 0,
      repetitionPenalty: numberOption(values['repetition-penalty'], 'repetition-penalty') ?? 1,
      seed: intOption(values.seed, 'seed') ?? Date.now(),
    };
    const { loadTokenizer } = await import('../../models/tokenizer/tokenizer.ts');
    if (!values.model) throw new QuireError('USAGE', `--model is required (usage: ${USAGE})`);
    const tokenizer = await loadTokenizer(values.model);
    const prompt = values.prompt !== undefined ? Array.from(tokenizer.encode(values.prompt, { addBos: true, parseSpecial: true })) : listOption(values.ids, 'ids')!;
    if (prompt.length === 0) throw new QuireError('INVALID_INPUT', 'the prompt is empty');
    const session = await openEngine(values, prompt.length + maxNewTokens, USAGE, io);
    try {
      tokenIds(prompt, session.vocabSize);
      if (!values.json) io.stderr(`quire: engine ${session.report.path} on ${session.report.provider} (${session.report.reason})\n`);
      await session.prefill(prompt, values.chunk ? { chunk: intOption(values.chunk, 'chunk', { min: 1 })! } : {});
      const { generateText } = await import('../node/engine/generate-text.ts');
      const result = await generateText(session, tokenizer, {
        maxNewTokens,
        sampling,
        stop: values.stop ?? [],
        ...(values.json ? {} : { onText: (text: string) => io.stdout(text) }),
      });
      io.stdout(values.json ? jsonOutput(result) : '\n');
      return 0;
    } finally {
      await session.release();
    }
  },
};
