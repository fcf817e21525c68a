// One generation step's choice of token: the sampler, over only the tokens the output format allows when there is
// one (token-mask.ts), and the chosen token's log-probability with the most likely alternatives when they are
// asked for. Log-probabilities are the model's own: a log-softmax of the raw logits over the full vocabulary,
// before temperature, repetition penalty, top-k/top-p and the format's mask (what OpenAI and vLLM report).
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { JsonGrammar, type OutputFormat } from './json-grammar.ts';
import { largest, Sampler, type SamplingOptions } from './sampler.ts';
import { TokenMask } from './token-mask.ts';

// OpenAI's chat shape for one token (choices[].logprobs.content[]); `bytes` are the token's UTF-8 bytes, which
// may hold part of a character (then `token` shows U+FFFD for it).
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

// The most alternatives a request may ask for (OpenAI's limit).
export const MAX_TOP_LOGPROBS = 20;

export interface ChoiceOptions {
  sampling?: SamplingOptions;
  format?: OutputFormat | null;
  // Log-probabilities of the chosen tokens with this many alternatives each (0–20); absent: none computed.
  logprobs?: number | null;
}

export class TokenChoice {
  readonly #sampler: Sampler;
  readonly #mask: TokenMask | null;
  readonly #tokenizer: Tokenizer;
  readonly #top: number | null;
  // The last chosen token's entry, when log-probabilities are asked for.
  last: TokenLogprob | null = null;

  constructor(tokenizer: Tokenizer, options: ChoiceOptions) {
    this.#sampler = new Sampler(options.sampling);
    this.#mask = options.format ? new TokenMask(JsonGrammar.of(options.format), tokenizer) : null;
    this.#tokenizer = tokenizer;
    this.#top = options.logprobs ?? null;
  }

  next(logits: Float32Array, previous: Iterable<number>): number {
    const token = this.#sampler.next(logits, previous, this.#mask?.allowed() ?? null);
    this.#mask?.accept(token);
    if (this.#top !== null) this.last = this.#logprob(logits, token, this.#top);
    return token;
  }

  #logprob(logits: Float32Array, token: number, top: number): TokenLogprob {
    const norm = logSumExp(logits);
    const entry = (id: number) => {
      const bytes = this.#tokenizer.tokenBytes(id);
      return { token: this.#tokenizer.decode([id]), logprob: logits[id] - norm, bytes: Array.from(bytes) };
    };
    return { ...entry(token), top_logprobs: top > 0 ? largest(logits, top).map(entry) : [] };
  }
}

function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return max + Math.log(sum);
}
