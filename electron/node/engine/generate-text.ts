// Generation as text: tokens from the session, decoded as they arrive (UTF-8 split across tokens held back),
// cut at the first stop string or end-of-sequence token.
import { QuireError } from '../../common/errors.ts';
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { StreamDecoder } from '../../../models/tokenizer/stream-decoder.ts';
import type { EngineSession } from './engine-session.ts';
import { StopMatcher, type SamplingOptions } from './sampler.ts';
import { TokenChoice, type ChoiceOptions, type TokenLogprob } from './token-choice.ts';

export interface TextGenerationOptions extends ChoiceOptions {
  maxNewTokens: number;
  sampling?: SamplingOptions;
  stop?: readonly string[];
  signal?: AbortSignal;
  onText?: (text: string) => void;
  // Each token's log-probabilities (when `logprobs` asks for them), before the text it completes.
  onLogprob?: (entry: TokenLogprob) => void;
  // A cancel ends generation without an error, the answer so far marked stopped (a user's Stop), instead of
  // failing with CANCELLED (a run that is abandoned).
  stopOnCancel?: boolean;
}

export interface GeneratedText {
  tokens: number[];
  text: string;
  stopped: boolean;
  // One entry per token, when `logprobs` asked for them.
  logprobs?: TokenLogprob[];
}

export async function generateText(session: EngineSession, tokenizer: Tokenizer, options: TextGenerationOptions): Promise<GeneratedText> {
  const decoder = new StreamDecoder(tokenizer, { skipSpecial: true });
  const stops = new StopMatcher(options.stop);
  let text = '';
  const emit = (piece: string) => {
    if (!piece) return;
    text += piece;
    options.onText?.(piece);
  };
  const tokens: number[] = [];
  const wantsLogprobs = options.logprobs !== undefined && options.logprobs !== null;
  // A plain sampler (the session's own) unless a format or log-probabilities need more than the token.
  const choice = options.format || wantsLogprobs ? new TokenChoice(tokenizer, options) : null;
  const logprobs: TokenLogprob[] | undefined = wantsLogprobs ? [] : undefined;
  const finished = (stopped: boolean): GeneratedText => ({ tokens, text, stopped, ...(logprobs ? { logprobs } : {}) });
  try {
    await session.generate({
      maxNewTokens: options.maxNewTokens,
      ...(options.sampling ? { sampling: options.sampling } : {}),
      ...(choice ? { choice } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      stopTokens: tokenizer.eosIds,
      onToken: (token) => {
        tokens.push(token);
        if (logprobs && choice?.last) {
          logprobs.push(choice.last);
          options.onLogprob?.(choice.last);
        }
        emit(stops.push(decoder.push(token)));
        return stops.stopped;
      },
    });
  } catch (error) {
    if (options.stopOnCancel && error instanceof QuireError && error.code === 'CANCELLED') return finished(true);
    throw error;
  }
  if (!stops.stopped) emit(stops.push(decoder.flush()) + stops.flush());
  return finished(false);
}
