import { QuireError } from '../common/errors.ts';
import { intOption } from './args.ts';
import type { EngineSession } from '../node/engine/engine-session.ts';
import { PROVIDER_CHOICES, providerFromEnv, type ProviderChoice } from '../node/engine/provider-choice.ts';
import type { CliIo } from './command.ts';

// Options every engine-backed command takes.
export const ENGINE_OPTIONS = {
  model: { type: 'string' },
  context: { type: 'string' },
  provider: { type: 'string' },
  chunk: { type: 'string' },
} as const;

export const PROVIDERS = PROVIDER_CHOICES;

// --provider, else QUIRE_PROVIDER, else undefined (auto).
export function providerOption(value: string | undefined): ProviderChoice | undefined {
  if (value === undefined) return providerFromEnv();
  if (!(PROVIDERS as readonly string[]).includes(value)) throw new QuireError('USAGE', `--provider wants one of ${PROVIDERS.join(', ')}, got "${value}"`);
  return value as ProviderChoice;
}

// The context defaults to what the command needs, not the model's maximum: a 1M-token cache is 128 GiB.
// A GPU passed over for this model (provider check failed, a feature missing) is said on stderr even with --json.
export async function openEngine(values: { model?: string; context?: string; provider?: string }, needed: number, usage: string, io?: CliIo): Promise<EngineSession> {
  if (!values.model) throw new QuireError('USAGE', `--model is required (usage: ${usage})`);
  const provider = providerOption(values.provider) ?? 'auto';
  const context = intOption(values.context, 'context', { min: 1 }) ?? needed;
  if (context < needed) throw new QuireError('DOES_NOT_FIT', `${needed} tokens do not fit in --context ${context}`);
  const { EngineSession } = await import('../node/engine/engine-session.ts');
  const session = await EngineSession.load(values.model, { context, provider });
  if (session.report.warning) io?.stderr(`quire: warning: ${session.report.warning}\n`);
  return session;
}

export function tokenIds(list: number[] | undefined, vocabSize: number): number[] | undefined {
  if (!list) return undefined;
  const bad = list.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
  if (bad !== undefined) throw new QuireError('INVALID_INPUT', `token id ${bad} is outside the vocabulary of ${vocabSize}`);
  return list;
}
