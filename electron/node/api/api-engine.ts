// Quire's engine as the API's clients see it: the served model's card, its tokenizer and chat template (in
// the text worker), and completions run one at a time through the runtime's answer(), with the longest known
// prompt prefix reused — from the engine's live KV cache, else from a saved prefix (runtime/prefix-store.ts,
// the same store the documents' caches are in) — so only the rest is prefilled. A client that goes away
// stops the engine at once.
import type { InstalledModel, Settings } from '../../common/contract.ts';
import { QuireError } from '../../common/errors.ts';
import { engineContext } from '../../../models/model-spec.ts';
import type { ChatMessage } from '../../../models/chat-template.ts';
import type { OutputFormat } from '../engine/json-grammar.ts';
import type { SamplingOptions } from '../engine/sampler.ts';
import type { TokenLogprob } from '../engine/token-choice.ts';
import type { ModelRuntime } from '../runtime/model-runtime.ts';
import type { TextService } from '../runtime/text-service.ts';
import { readManifest } from '../../../models/manifest.ts';
// A prompt this long is worth a snapshot: below it, prefilling again costs less than the file's disk and I/O.
export const API_SNAPSHOT_MIN_TOKENS = 1024;
import type { FinishReason } from './openai-protocol.ts';

export interface ApiEngineDeps {
  runtime: ModelRuntime;
  text: TextService;
  root: string;
  model: () => InstalledModel;
  settings: () => Pick<Settings, 'contextTokens' | 'provider'>;
  // Something the operator should know (a damaged snapshot discarded, a snapshot that could not be saved).
  warn?: (message: string) => void;
}

export interface CompletionJob {
  prompt: number[];
  maxTokens: number;
  sampling: SamplingOptions;
  stop: string[];
  // response_format's JSON, enforced token by token; logprobs' count of alternatives (null: no logprobs).
  format?: OutputFormat | null;
  logprobs?: number | null;
  signal: AbortSignal;
  // Called once the prompt is in the cache, with how many of its tokens were not prefilled.
  onPrefilled?: (cachedTokens: number) => void;
  onText?: (text: string) => void;
  // A token's log-probabilities, before the text it completes.
  onLogprob?: (entry: TokenLogprob) => void;
}

export interface CompletionResult {
  text: string;
  completionTokens: number;
  finishReason: FinishReason;
  cachedTokens: number;
  logprobs: TokenLogprob[] | null;
}

export class ApiEngine {
  #deps: ApiEngineDeps;
  #inFlight = new Set<Promise<void>>();

  constructor(deps: ApiEngineDeps) {
    this.#deps = deps;
  }

  model(): InstalledModel {
    return this.#deps.model();
  }

  // The context the model loads with: what the card reports as max_model_len and what requests must fit.
  context(model = this.model()): number {
    return engineContext(model, this.#deps.settings());
  }

  vocabSize(model = this.model()): number {
    return readManifest(model.dir).config.vocabSize;
  }

  async chatTokens(messages: ChatMessage[], addGenerationPrompt: boolean): Promise<number[]> {
    return Array.from(await this.#deps.text.encode(this.model().dir, messages, addGenerationPrompt));
  }

  async textTokens(text: string, addSpecial: boolean): Promise<number[]> {
    return Array.from(await this.#deps.text.tokens(this.model().dir, text, addSpecial));
  }

  detokenize(tokens: number[]): Promise<string> {
    return this.#deps.text.decode(this.model().dir, tokens);
  }

  // Runs one completion when the engine is free — after the app's own question, when the API runs inside the
  // app (BUSY when too many wait). Resolves after the prompt's
  // snapshot, when worth one, is saved: `onFinish` hands the answer over before that.
  complete(job: CompletionJob, onFinish: (result: CompletionResult) => void): Promise<void> {
    const running = this.#run(job, onFinish);
    this.#inFlight.add(running);
    void running.catch(() => undefined).finally(() => this.#inFlight.delete(running));
    return running;
  }

  // Resolves once no request is running or waiting: a server stopping waits here, so the snapshot of a
  // prompt just answered is written whole before the engine goes.
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #run(job: CompletionJob, onFinish: (result: CompletionResult) => void): Promise<void> {
    const result = await this.#deps.runtime.answer(
      {
        model: this.model(),
        settings: this.#deps.settings(),
        prompt: { prefix: null, tail: Int32Array.from(job.prompt) },
        room: () => job.maxTokens,
        sampling: job.sampling,
        stop: job.stop,
        format: job.format ?? null,
        logprobs: job.logprobs ?? null,
        // The prefill is worth keeping even when the client left during generation.
        save: { promptMinPrefilled: API_SNAPSHOT_MIN_TOKENS },
        signal: job.signal,
      },
      {
        onPhase: (phase) => {
          if (phase.phase === 'generating') job.onPrefilled?.(phase.cachedTokens);
        },
        ...(job.onText ? { onText: job.onText } : {}),
        ...(job.onLogprob ? { onLogprob: job.onLogprob } : {}),
        onWarning: (message) => this.#deps.warn?.(message),
        // The answer goes out first: the snapshot only helps later requests.
        onAnswer: (answer) => {
          if (answer.stopped) return;
          onFinish({
            text: answer.text,
            completionTokens: answer.tokens.length,
            finishReason: answer.tokens.length >= job.maxTokens ? 'length' : 'stop',
            cachedTokens: answer.promptTokens - answer.prefilledTokens,
            logprobs: answer.logprobs ?? null,
          });
        },
      },
    );
    if (result.stopped) throw new QuireError('CANCELLED', 'the client went away');
  }
}
