// One question or completion in the engine's process, start to end in one call: the prompt into the cache
// (what the live cache holds, else the saved prefix the caller found, else prefill), the answer generated and
// streamed, then — once the answer is out — the prompt's prefix saved for later questions and processes. The
// caller sends a prefix the engine already holds by its key alone, so a follow-up about a 1M-token book carries
// only its own new tokens; the reply carries every figure (no extra round trip to ask for them).
import { QuireError } from '../../common/errors.ts';
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { documentSource, needsSave, type EngineSession, type PrefillProgress, type Prepared } from './engine-session.ts';
import { TextGeneration, type GeneratedText } from './generate-text.ts';
import { PrefillCheckpoints } from './prefill-checkpoints.ts';
import type { OutputFormat } from './json-grammar.ts';
import type { SamplingOptions } from './sampler.ts';
import type { TokenLogprob } from './token-choice.ts';

export interface AnswerParams {
  // The tokens every question about the same documents shares, named by `key`; `tokens` may be left out when
  // the engine said it holds that key (AnswerResult.held). Null for a prompt with no such prefix (the API's).
  prefix: { key: string; length: number; tokens: Int32Array | null } | null;
  // The rest of the prompt, after the prefix.
  tail: Int32Array;
  // A saved prefix that shares more with the prompt than the live cache may (the prefix store's best match).
  restore: string | null;
  // Where the prompt's first `length` tokens are saved after the answer, when they had to be read (neither the
  // live cache nor a snapshot held them) and at least `minPrefilled` of the prompt was prefilled.
  save: { path: string; length: number; minPrefilled: number } | null;
  // Where checkpoints of a long read of the saved part go (prefill-checkpoints.ts), or null for none.
  checkpoints: string | null;
  maxNewTokens: number;
  sampling?: SamplingOptions;
  stop?: string[];
  // The answer must be JSON of this format (the API's response_format): tokens that cannot continue it are masked.
  format?: OutputFormat | null;
  // Each token's log-probability, with this many alternatives (the API's logprobs); absent or null: none.
  logprobs?: number | null;
  chunk?: number;
  // The answer yields its turn at a step boundary while another request waits (AnswerListeners.contested), once
  // it has decoded for `sliceMs` since it began or resumed; null or absent: it runs to its end.
  share?: { sliceMs: number } | null;
}

export interface AnswerResult {
  tokens: number[];
  text: string;
  // Stopped by a cancel: what was generated so far (possibly nothing).
  stopped: boolean;
  // One per token, when AnswerParams.logprobs asked for them.
  logprobs?: TokenLogprob[];
  promptTokens: number;
  prefilledTokens: number;
  source: ReturnType<typeof documentSource>;
  // The prefix key the cache holds after the call (null: none known).
  held: string | null;
  restored: string | null;
  saved: string | null;
  discarded: string | null;
  // The checkpoint left on disk by a read that did not finish (stopped): the next question reads on from it.
  checkpoint: { path: string; length: number } | null;
  // The answer so far yielded its turn: the engine keeps it under this number until `resume` continues it.
  paused?: number;
}

// Restoring: `tokens` of the `of` that the saved part (the document, else the prompt) has; fewer is a reading
// stopped part-way that goes on from its checkpoint.
export type AnswerPhase = { phase: 'restoring'; tokens: number; of: number } | { phase: 'generating'; cachedTokens: number };

export interface AnswerListeners {
  signal: AbortSignal;
  onPhase: (phase: AnswerPhase) => void;
  onProgress: (p: PrefillProgress) => void;
  onText: (text: string) => void;
  // A token's log-probabilities, sent before the text it completes (only when asked for).
  onLogprob?: (entry: TokenLogprob) => void;
  onWarning: (message: string) => void;
  // The answer, before the prefix is saved (a save of a long prefix takes a while; the answer need not wait).
  onAnswer: (result: AnswerResult) => void;
  // Whether another request waits for the engine (AnswerParams.share).
  contested?: () => boolean;
}

// The engine needs the prefix's tokens but was sent only its key (it no longer holds it): the caller sends again
// with the tokens. Only after a change the caller could not see, so rare.
export const PREFIX_NOT_HELD = 'prefix-not-held';

// The key of the prefix the engine's cache holds (set by answerPrompt; any other call that changes the cache
// clears it).
export interface PrefixHeld {
  key: string | null;
}

export async function answerPrompt(session: EngineSession, tokenizer: Tokenizer, held: PrefixHeld, params: AnswerParams, listeners: AnswerListeners): Promise<Outcome | typeof PREFIX_NOT_HELD> {
  const { prefix } = params;
  const prefixLength = prefix?.length ?? 0;
  if (prefix && !prefix.tokens && (held.key !== prefix.key || session.length < prefixLength)) return PREFIX_NOT_HELD;
  const prompt = promptTokens(session.tokens, prefix, params.tail);
  const subject = prefix ? 'document' : 'prompt';
  // Whatever happens next changes the cache: the key holds again only once the prefix is known to be there.
  held.key = null;
  const before = session.prefilledTokens;
  const checkpoints = params.save && params.checkpoints ? new PrefillCheckpoints(session, params.checkpoints, params.save.length, listeners.onWarning) : null;
  let prepared: Prepared | null = null;
  try {
    prepared = await session.prepare(prompt, {
      ...(checkpoints ? { onChunk: checkpoints.onChunk } : {}),
      restore: params.restore,
      ...(params.chunk ? { chunk: params.chunk } : {}),
      signal: listeners.signal,
      onProgress: listeners.onProgress,
      onWarning: listeners.onWarning,
      onRestoring: (tokens) => listeners.onPhase({ phase: 'restoring', tokens, of: prefixLength || prompt.length }),
      subject,
      logits: params.maxNewTokens > 0,
    });
  } catch (error) {
    // A stop while the prompt is read is an answer with nothing in it; the chunks read stay in the cache.
    if (!(error instanceof QuireError && error.code === 'CANCELLED')) throw error;
  } finally {
    if (prefix && session.commonPrefix(prompt) >= prefixLength) held.key = prefix.key;
  }
  const answer: AnswerInProgress = {
    params,
    prompt,
    prepared,
    prefilledTokens: session.prefilledTokens - before,
    checkpoints,
    generation: null,
    rereadMs: 0,
  };
  if (!prepared) return finish(session, held, answer, { tokens: [], text: '', stopped: true }, listeners);
  listeners.onPhase({ phase: 'generating', cachedTokens: prompt.length - prepared.prefilled });
  if (params.maxNewTokens === 0) return finish(session, held, answer, { tokens: [], text: '', stopped: false }, listeners);
  answer.generation = new TextGeneration(tokenizer, {
    maxNewTokens: params.maxNewTokens,
    ...(params.sampling ? { sampling: params.sampling } : {}),
    stop: params.stop ?? [],
    format: params.format ?? null,
    logprobs: params.logprobs ?? null,
    stopOnCancel: true,
  });
  return generate(session, held, answer, listeners);
}

// Continues an answer that yielded its turn: its prompt and the tokens it generated go back into the cache (what
// the live cache or the saved prefix still holds is kept, the rest read again) and generation goes on with the
// same sampler, so the answer is the one it would have been without the pause.
export async function resumeAnswer(session: EngineSession, held: PrefixHeld, answer: AnswerInProgress, listeners: AnswerListeners): Promise<Outcome> {
  const generation = answer.generation!;
  const { prefix, restore, chunk } = answer.params;
  const tokens = [...answer.prompt, ...generation.tokens];
  held.key = null;
  const started = performance.now();
  try {
    await session.prepare(tokens, { restore, ...(chunk ? { chunk } : {}), signal: listeners.signal, onWarning: listeners.onWarning, subject: prefix ? 'document' : 'prompt' });
  } catch (error) {
    if (!(error instanceof QuireError && error.code === 'CANCELLED')) throw error;
    return finish(session, held, answer, { tokens: generation.tokens, text: generation.text, stopped: true }, listeners);
  } finally {
    if (prefix && session.commonPrefix(tokens) >= prefix.length) held.key = prefix.key;
  }
  answer.rereadMs = performance.now() - started;
  return generate(session, held, answer, listeners);
}

// An answer between its calls: what its continuation needs (the engine's process keeps it while it waits).
export interface AnswerInProgress {
  params: AnswerParams;
  prompt: Int32Array;
  prepared: Prepared | null;
  prefilledTokens: number;
  checkpoints: PrefillCheckpoints | null;
  generation: TextGeneration | null;
  // How long the last resume took to read the prompt and answer back into the cache.
  rereadMs: number;
}

// The call's reply, and the answer to keep when it paused (null once it is whole).
export interface Outcome {
  result: AnswerResult;
  paused: AnswerInProgress | null;
}

// How long a yielding answer decodes before it gives way, at least: its share (AnswerParams.share), or this many
// times what its last resume cost, so that being paused never costs it more than a fifth of its time.
const REREAD_SHARE = 4;

// An answer yields only while what a resume would read again, at most (its prompt and answer so far, less
// what a saved prefix holds), is this short: reading more would cost the long answer more than a short
// request's wait. A longer one runs on, and the server's cap on answer length bounds the wait behind it.
export const MAX_REREAD_TOKENS = 8192;

async function generate(session: EngineSession, held: PrefixHeld, answer: AnswerInProgress, listeners: AnswerListeners): Promise<Outcome> {
  const share = answer.params.share;
  const started = performance.now();
  const slice = share ? Math.max(share.sliceMs, REREAD_SHARE * answer.rereadMs) : Infinity;
  const saved = answer.prepared?.restored ? answer.prepared.fromSnapshot : 0;
  const generated = await answer.generation!.run(session, {
    signal: listeners.signal,
    onText: listeners.onText,
    ...(listeners.onLogprob ? { onLogprob: listeners.onLogprob } : {}),
    ...(share && listeners.contested
      ? { pause: () => listeners.contested!() && performance.now() - started >= slice && session.length - saved <= MAX_REREAD_TOKENS }
      : {}),
  });
  if (!generated.paused) return finish(session, held, answer, generated, listeners);
  return { result: resultOf(answer, generated, held), paused: answer };
}

function resultOf(answer: AnswerInProgress, generated: GeneratedText, held: PrefixHeld): AnswerResult {
  const { tokens, text, stopped, logprobs } = generated;
  return {
    tokens: [...tokens],
    text,
    stopped,
    ...(logprobs ? { logprobs: [...logprobs] } : {}),
    promptTokens: answer.prompt.length,
    prefilledTokens: answer.prefilledTokens,
    source: answer.prepared ? documentSource(answer.prepared, answer.params.prefix?.length ?? 0) : 'prefill',
    held: held.key,
    restored: answer.prepared?.restored ?? null,
    saved: null,
    discarded: answer.prepared?.discarded ?? null,
    checkpoint: null,
  };
}

// The whole answer goes out, then the prompt's prefix is saved when worth it.
async function finish(session: EngineSession, held: PrefixHeld, answer: AnswerInProgress, generated: GeneratedText, listeners: AnswerListeners): Promise<Outcome> {
  const { params, prepared, prompt, checkpoints } = answer;
  const result = resultOf(answer, generated, held);
  listeners.onAnswer(result);
  const save = params.save;
  // The prompt's rows are still the cache's first rows after generation (it only appends).
  if (save && prepared && needsSave(prepared, save.length) && prepared.prefilled >= save.minPrefilled && save.length <= prompt.length) {
    const subject = params.prefix ? 'document' : 'prompt';
    if (await session.saveSnapshotOrWarn(save.path, save.length, { onWarning: listeners.onWarning, subject })) result.saved = save.path;
  }
  if (result.saved) await checkpoints?.done();
  result.checkpoint = checkpoints?.latest ?? null;
  return { result, paused: null };
}

// The prompt as one typed array: the prefix sent, or the one the cache holds (`held`, the session's tokens), then
// the tail. A 4 MB copy at a million tokens, where a JS array of them cost 0.1–0.3 s per follow-up.
export function promptTokens(held: Int32Array, prefix: AnswerParams['prefix'], tail: Int32Array): Int32Array {
  const head = prefix ? (prefix.tokens ?? held.subarray(0, prefix.length)) : new Int32Array(0);
  if (prefix && head.length !== prefix.length) throw new QuireError('INVALID_INPUT', `the prefix holds ${head.length} tokens, not ${prefix.length}`);
  const prompt = new Int32Array(head.length + tail.length);
  prompt.set(head);
  prompt.set(tail, head.length);
  return prompt;
}
