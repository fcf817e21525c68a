// Messages between an engine host process and its caller. Typed arrays and plain objects only: the channel
// uses structured clone ('advanced' serialization), which also carries the logits as a Float32Array.
import type { ErrorEnvelope } from '../../common/errors.ts';
import type { LoadOptions, PrefillProgress, EngineReport } from './engine-session.ts';
import type { AnswerParams, AnswerPhase, AnswerResult, PREFIX_NOT_HELD } from './answer-prompt.ts';
import type { SamplingOptions } from './sampler.ts';
import type { TokenLogprob } from './token-choice.ts';

type Call<M extends string, P> = { id: number; method: M; params: P };

export type EngineRequest =
  | Call<'load', { dir: string; options: LoadOptions }>
  | Call<'encode', { text: string; addBos?: boolean; parseSpecial?: boolean }>
  | Call<'sync', { tokens: number[]; chunk?: number }>
  | Call<'answer', AnswerParams>
  | Call<'resume', { paused: number }>
  | Call<'generate', { maxNewTokens: number; sampling?: SamplingOptions; stop?: string[] }>
  | Call<'rewind', { length: number }>
  | Call<'saveSnapshot', { path: string; length?: number }>
  | Call<'restoreSnapshot', { path: string }>
  | Call<'state', Record<string, never>>
  | Call<'unload', Record<string, never>>
  | { id: number; method: 'cancel' }
  // Handled at once, like cancel: another request waits (the running answer yields at its next chance), and an
  // answer that yielded will not be resumed (its caller left).
  | { id: number; method: 'yield' }
  | { id: number; method: 'forget'; paused: number };

export type EngineReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: ErrorEnvelope }
  | { id: number; event: 'progress'; data: unknown }
  | { id: number; event: 'text'; data: unknown }
  | { id: number; event: 'logprob'; data: unknown }
  | { id: number; event: 'warning'; data: unknown }
  | { id: number; event: 'phase'; data: unknown }
  | { id: number; event: 'verify'; data: unknown }
  | { id: number; event: 'answer'; data: unknown };

export interface EngineState {
  length: number;
  prefilledTokens: number;
  report: EngineReport;
}

export interface EngineResults {
  load: EngineReport;
  encode: number[];
  sync: Float32Array;
  answer: AnswerResult | typeof PREFIX_NOT_HELD;
  resume: AnswerResult;
  generate: { tokens: number[]; text: string };
  rewind: number;
  saveSnapshot: null;
  restoreSnapshot: number;
  state: EngineState;
  unload: null;
}

export type { AnswerParams, AnswerPhase, AnswerResult, PrefillProgress, TokenLogprob };
