// Quire's engine as the API's clients see it: the served model's card, its tokenizer and chat template (in
// the text worker), and completions run one at a time through the engine process, with the longest known
// prompt prefix reused — from the engine's live KV cache, else from a snapshot on disk (prefix-cache.ts) —
// so only the rest is prefilled. A client that goes away stops the engine at once.
import type { InstalledModel, Settings } from '../../common/contract.ts';
import { QuireError } from '../../common/errors.ts';
import { engineContext } from '../../../models/model-spec.ts';
import type { ChatMessage } from '../../../models/chat-template.ts';
import type { SamplingOptions } from '../engine/sampler.ts';
import type { LoadedModel, ModelRuntime } from '../chat/model-runtime.ts';
import type { TextService } from '../chat/text-service.ts';
import { readManifest } from '../../../models/manifest.ts';
import { API_SNAPSHOT_MIN_TOKENS, commonLength, PrefixCache } from './prefix-cache.ts';
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
  signal: AbortSignal;
  // Called once the prompt is in the cache, with how many of its tokens were not prefilled.
  onPrefilled?: (cachedTokens: number) => void;
  onText?: (text: string) => void;
}

export interface CompletionResult {
  text: string;
  completionTokens: number;
  finishReason: FinishReason;
  cachedTokens: number;
}

export class ApiEngine {
  #deps: ApiEngineDeps;
  #caches = new Map<string, PrefixCache>();
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
    const running = this.#deps.runtime.queue.run(job.signal, () => this.#run(job, onFinish));
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
    const { runtime } = this.#deps;
    const model = this.model();
    const abort = () => runtime.cancel();
    job.signal.addEventListener('abort', abort);
    // The engine hears a cancel only while a call runs: between calls the signal is checked here.
    const check = () => {
      if (job.signal.aborted) throw new QuireError('CANCELLED', 'the client went away');
    };
    try {
      const loaded = await runtime.ensure(model, this.#deps.settings());
      check();
      const cache = this.#prefixCache(model);
      const before = (await runtime.host.call('state', {})).prefilledTokens;
      await this.#restoreLongest(loaded, cache, job.prompt);
      check();
      await loaded.cache.sync(runtime.host, job.prompt);
      const prefilled = (await runtime.host.call('state', {})).prefilledTokens - before;
      const cachedTokens = job.prompt.length - prefilled;
      job.onPrefilled?.(cachedTokens);
      try {
        check();
        const generated = await loaded.cache.generate(
          runtime.host,
          { maxNewTokens: job.maxTokens, sampling: job.sampling, stop: job.stop },
          job.onText ? { onText: job.onText } : {},
        );
        // The answer goes out first: the snapshot only helps later requests.
        onFinish({
          text: generated.text,
          completionTokens: generated.tokens.length,
          finishReason: generated.tokens.length >= job.maxTokens ? 'length' : 'stop',
          cachedTokens,
        });
      } finally {
        // The prefill is worth keeping even when the client left during generation.
        if (prefilled >= API_SNAPSHOT_MIN_TOKENS) await this.#save(loaded, cache, job.prompt);
      }
    } finally {
      job.signal.removeEventListener('abort', abort);
    }
  }

  // Restores the saved prompt sharing the most tokens with this one, when it shares more than the live
  // cache does. A snapshot the engine refuses (damaged: its CRCs fail; or made for other weights) is deleted
  // and the prompt prefilled instead.
  async #restoreLongest(loaded: LoadedModel, cache: PrefixCache, prompt: number[]): Promise<void> {
    if (!loaded.report.snapshots.ok) return;
    const match = await cache.longestMatch(prompt, loaded.report.context);
    const live = commonLength(loaded.cache.tokens, prompt);
    if (!match || match.common <= live) return;
    try {
      await loaded.cache.restore(this.#deps.runtime.host, match.path, match.tokens);
    } catch (error) {
      // No host memory for a device cache's staging buffer now: kept for later, the prompt processed instead.
      if (error instanceof QuireError && error.code === 'LIMIT_EXCEEDED') {
        this.#deps.warn?.(`a saved prompt cache was not restored: ${error.message}`);
        return;
      }
      if (!(error instanceof QuireError) || !['CORRUPT', 'SNAPSHOT_MISMATCH', 'NOT_FOUND'].includes(error.code)) throw error;
      await cache.discard(match.path);
      this.#deps.warn?.(`a saved prompt cache was unusable (${error.message}); it was discarded and the prompt processed again`);
    }
  }

  // A snapshot only saves time later: failing to write one must not fail the request that made it.
  async #save(loaded: LoadedModel, cache: PrefixCache, prompt: number[]): Promise<void> {
    if (!loaded.report.snapshots.ok || commonLength(loaded.cache.tokens, prompt) < prompt.length) return;
    const path = await cache.pathFor(prompt);
    if (!path) return;
    try {
      await this.#deps.runtime.host.call('saveSnapshot', { path, length: prompt.length });
      await cache.saved(path, prompt);
    } catch (error) {
      this.#deps.warn?.(`the prompt's cache could not be saved: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  #prefixCache(model: InstalledModel): PrefixCache {
    let cache = this.#caches.get(model.id);
    if (!cache) {
      cache = new PrefixCache(this.#deps.root, model.id);
      this.#caches.set(model.id, cache);
    }
    return cache;
  }
}
