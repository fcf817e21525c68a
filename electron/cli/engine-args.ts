import { QuireError } from '../common/errors.ts';
import { intOption } from './args.ts';
import type { EngineSession, LoadOptions } from '../node/engine/engine-session.ts';

// Options every engine-backed command takes.
export const ENGINE_OPTIONS = {
  model: { type: 'string' },
  context: { type: 'string' },
  provider: { type: 'string' },
  chunk: { type: 'string' },
} as const;

export const PROVIDERS = ['auto', 'cpu', 'cuda', 'webgpu', 'dml', 'coreml'] as const;

// The context defaults to what the command needs, not the model's maximum: a 1M-token cache is 128 GiB.
export async function openEngine(values: { model?: string; context?: string; provider?: string }, needed: number, usage: string): Promise<EngineSession> {
  if (!values.model) throw new QuireError('USAGE', `--model is required (usage: ${usage})`);
  const provider = values.provider ?? 'auto';
  if (!(PROVIDERS as readonly string[]).includes(provider)) throw new QuireError('USAGE', `--provider wants one of ${PROVIDERS.join(', ')}, got "${provider}"`);
  const context = intOption(values.context, 'context', { min: 1 }) ?? needed;
  if (context < needed) throw new QuireError('DOES_NOT_FIT', `${needed} tokens do not fit in --context ${context}`);
  const { EngineSession } = await import('../node/engine/engine-session.ts');
  return EngineSession.load(values.model, { context, provider: provider as LoadOptions['provider'] });
}

export function tokenIds(list: number[] | undefined, vocabSize: number): number[] | undefined {
  if (!list) return undefined;
  const bad = list.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
  if (bad !== undefined) throw new QuireError('INVALID_INPUT', `token id ${bad} is outside the vocabulary of ${vocabSize}`);
  return list;
}
