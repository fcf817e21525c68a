// Generation as text: tokens from the session, decoded as they arrive (UTF-8 split across tokens held back),
// cut at the first stop string or end-of-sequence token. A generation may pause (its request yields the engine
// to another) and continue later with the same sampler, decoder, stop matcher and format state, so what it
// produces is what it would have produced without the pause.
import { QuireError } from '../../common/errors.ts';
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { StreamDecoder } from '../../../models/tokenizer/stream-decoder.ts';
import type { EngineSession } from './engine-session.ts';
import { Sampler, StopMatcher, type SamplingOptions } from './sampler.ts';
import { TokenChoice, type ChoiceOptions, type TokenLogprob } from './token-choice.ts';

export interface TextListeners {
  signal?: AbortSignal;
  onText?: (text: string) => void;
  // Each token's log-probabilities (when `logprobs` asks for them), before the text it completes.
  onLogprob?: (entry: TokenLogprob) => void;
  // Asked before each token after the first of this run: true pauses the generation (GenerateOptions.pause).
  pause?: () => boolean;
}

export interface TextGenerationOptions extends ChoiceOptions, TextListeners {
  maxNewTokens: number;
  sampling?: SamplingOptions;
  stop?: readonly string[];
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

export class TextGeneration {
  readonly #options: TextGenerationOptions;
  readonly #decoder: StreamDecoder;
  readonly #stops: StopMatcher;
  // The plain sampler unless a format or log-probabilities need more than the token; kept across pauses so a
  // seeded answer draws the same random numbers.
  readonly #choice: TokenChoice | Sampler;
  readonly tokens: number[] = [];
  text = '';
  readonly #logprobs: TokenLogprob[] | undefined;
  readonly #eos: readonly number[];

  constructor(tokenizer: Tokenizer, options: TextGenerationOptions) {
    this.#options = options;
    this.#decoder = new StreamDecoder(tokenizer, { skipSpecial: true });
    this.#stops = new StopMatcher(options.stop);
    const wantsLogprobs = options.logprobs !== undefined && options.logprobs !== null;
    this.#choice = options.format || wantsLogprobs ? new TokenChoice(tokenizer, options) : new Sampler(options.sampling);
    this.#logprobs = wantsLogprobs ? [] : undefined;
    this.#eos = tokenizer.eosIds;
  }

  // Generates until the answer ends (then `paused` is false) or `listeners.pause` asks for a pause.
  async run(session: EngineSession, listeners: TextListeners): Promise<GeneratedText & { paused: boolean }> {
    const emit = (piece: string) => {
      if (!piece) return;
      this.text += piece;
      listeners.onText?.(piece);
    };
    let paused = false;
    const pause = listeners.pause;
    try {
      const before = this.tokens.length;
      await session.generate({
        maxNewTokens: this.#options.maxNewTokens - before,
        ...(this.#options.sampling ? { sampling: this.#options.sampling } : {}),
        choice: this.#choice,
        ...(listeners.signal ? { signal: listeners.signal } : {}),
        stopTokens: this.#eos,
        ...(pause ? { pause: () => (paused = pause()) } : {}),
        onToken: (token) => {
          this.tokens.push(token);
          const entry = this.#choice instanceof TokenChoice ? this.#choice.last : null;
          if (this.#logprobs && entry) {
            this.#logprobs.push(entry);
            listeners.onLogprob?.(entry);
          }
          emit(this.#stops.push(this.#decoder.push(token)));
          return this.#stops.stopped;
        },
      });
    } catch (error) {
      if (this.#options.stopOnCancel && error instanceof QuireError && error.code === 'CANCELLED') return { ...this.#result(true), paused: false };
      throw error;
    }
    if (paused) return { ...this.#result(false), paused: true };
    if (!this.#stops.stopped) emit(this.#stops.push(this.#decoder.flush()) + this.#stops.flush());
    return { ...this.#result(false), paused: false };
  }

  #result(stopped: boolean): GeneratedText {
    return { tokens: this.tokens, text: this.text, stopped, ...(this.#logprobs ? { logprobs: this.#logprobs } : {}) };
  }
}

export async function generateText(session: EngineSession, tokenizer: Tokenizer, options: TextGenerationOptions): Promise<GeneratedText> {
  const { tokens, text, stopped, logprobs } = await new TextGeneration(tokenizer, options).run(session, options);
  return { tokens, text, stopped, ...(logprobs ? { logprobs } : {}) };
}
