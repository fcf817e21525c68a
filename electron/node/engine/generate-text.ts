// Generation as text: tokens from the session, decoded as they arrive (UTF-8 split across tokens held back),
// cut at the first stop string or end-of-sequence token.
import { QuireError } from '../../common/errors.ts';
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
  // A cancel ends generation without an error, the answer so far marked stopped (a user's Stop), instead of
  // failing with CANCELLED (a run that is abandoned).
  stopOnCancel?: boolean;
}

export async function generateText(session: EngineSession, tokenizer: Tokenizer, options: TextGenerationOptions): Promise<{ tokens: number[]; text: string; stopped: boolean }> {
  const decoder = new StreamDecoder(tokenizer, { skipSpecial: true });
  const stops = new StopMatcher(options.stop);
  let text = '';
  const emit = (piece: string) => {
    if (!piece) return;
    text += piece;
    options.onText?.(piece);
  };
  const tokens: number[] = [];
  try {
    await session.generate({
      maxNewTokens: options.maxNewTokens,
      ...(options.sampling ? { sampling: options.sampling } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      stopTokens: tokenizer.eosIds,
      onToken: (token) => {
        tokens.push(token);
        emit(stops.push(decoder.push(token)));
        return stops.stopped;
      },
    });
  } catch (error) {
    if (options.stopOnCancel && error instanceof QuireError && error.code === 'CANCELLED') return { tokens, text, stopped: true };
    throw error;
  }
  if (!stops.stopped) emit(stops.push(decoder.flush()) + stops.flush());
  return { tokens, text, stopped: false };
}
