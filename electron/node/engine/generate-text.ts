// Generation as text: tokens from the session, decoded as they arrive (UTF-8 split across tokens held back),
// cut at the first stop string or end-of-sequence token.
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { StreamDecoder } from '../../../models/tokenizer/stream-decoder.ts';
import type { EngineSession } from './engine-session.ts';
import { StopMatcher, type SamplingOptions } from './sampler.ts';

export interface TextGenerationOptions {
  maxNewTokens: number;
  sampling?: SamplingOptions;
  stop?: readonly string[];
  signal?: AbortSignal;
  onText?: (text: string) => void;
}

export async function generateText(session: EngineSession, tokenizer: Tokenizer, options: TextGenerationOptions): Promise<{ tokens: number[]; text: string }> {
  const decoder = new StreamDecoder(tokenizer, { skipSpecial: true });
  const stops = new StopMatcher(options.stop);
  let text = '';
  const emit = (piece: string) => {
    if (!piece) return;
    text += piece;
    options.onText?.(piece);
  };
  const tokens = await session.generate({
    maxNewTokens: options.maxNewTokens,
    ...(options.sampling ? { sampling: options.sampling } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    stopTokens: tokenizer.eosIds,
    onToken: (token) => {
      emit(stops.push(decoder.push(token)));
      return stops.stopped;
    },
  });
  if (!stops.stopped) emit(stops.push(decoder.flush()) + stops.flush());
  return { tokens, text };
}
