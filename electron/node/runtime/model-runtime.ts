import type { InstalledModel, Settings } from '../../common/contract.ts';
import { QuireError } from '../../common/errors.ts';
import { engineContext } from '../../../models/model-spec.ts';
import { EngineQueue, type Turn } from './engine-queue.ts';
import { EngineHost, forkEngineProcess, type CallListeners, type EngineProcess } from './engine-host.ts';
import type { AnswerParams, AnswerPhase, AnswerResult, PrefillProgress, TokenLogprob } from '../engine/engine-protocol.ts';
import type { OutputFormat } from '../engine/json-grammar.ts';
import type { EngineReport } from '../engine/engine-session.ts';
import type { SamplingOptions } from '../engine/sampler.ts';
import { dirname } from 'node:path';
import { formatBytes } from '../../common/format.ts';
import { prefixKey, PrefixStore } from './prefix-store.ts';
import type { VerifyProgress } from '../../../models/verify-model.ts';

export interface LoadedModel {
  model: InstalledModel;
  report: EngineReport;
}

// A prompt as the runtime takes it: the prefix every question about the same documents shares (its tokens
// fetched only when the engine does not hold it already), then the rest.
export interface PromptIds {
  prefix: { key: string; length: number; tokens: () => Promise<Int32Array>; owners: readonly string[] } | null;
  tail: Int32Array;
}

export interface AnswerRequest {
  model: InstalledModel;
  settings: RuntimeSettings;
  prompt: PromptIds;
  // The longest answer, given the context the model loaded with.
  room: (context: number) => number;
  sampling: SamplingOptions;
  stop: string[];
  // The answer must be JSON of this format; each token's log-probability with this many alternatives (the API's).
  format?: OutputFormat | null;
  logprobs?: number | null;
  // What is worth saving for later: the document prefix (whenever it had to be read), the whole prompt once this
  // much of it had to be read (the API's prompts, which have no known prefix), or nothing (the self-check's).
  save: 'prefix' | { promptMinPrefilled: number } | 'nothing';
  signal: AbortSignal;
}

export interface AnswerListeners {
  onPhase?: (phase: AnswerPhase) => void;
  onProgress?: (p: PrefillProgress) => void;
  onText?: (text: string) => void;
  onLogprob?: (entry: TokenLogprob) => void;
  onWarning?: (message: string) => void;
  // The answer as soon as it is complete, before the saving of its prefix (which the returned promise waits for).
  onAnswer?: (result: Answered) => void;
}

export type Answered = AnswerResult & { context: number };

// How long an answer decodes, at least, before it yields its turn to a caller waiting behind it (and more when
// reading it back costs more: answer-prompt.ts). Short enough that a short request waits well under a second
// behind a long answer; long enough that the long one spends most of its time decoding.
export const TIME_SLICE_MS = 500;

// A restart after the engine process died waits this long, doubled for each further death within
// CRASH_WINDOW_MS and capped, so an engine that dies at once on load cannot spin the machine.
export const RESTART_BACKOFF_MS = 500;
const MAX_RESTART_BACKOFF_MS = 30_000;
const CRASH_WINDOW_MS = 5 * 60_000;
// After this many deaths within the window the model is no longer reloaded on its own, only on the next
// question (still with the back-off): something is wrong with it and loading it again only burns memory.
const MAX_AUTOMATIC_RELOADS = 4;

// What the UI is told when the engine process dies and when it is back (models.engineState).
export type EngineStateEvent =
  | { state: 'exited'; reason: string; modelId: string | null; restartInMs: number }
  | { state: 'restarted'; reason: null; modelId: string | null; restartInMs: 0 }
  | { state: 'failed'; reason: string; modelId: string | null; restartInMs: 0 };

export type RuntimeSettings = Pick<Settings, 'contextTokens' | 'provider'>;

// What the UI is told while a load verifies a model's changed files in full (models.verifyProgress), and
// when that check found them damaged.
export type LoadCheckEvent = { id: string; doneBytes: number; totalBytes: number; atLoad: true; error?: string };

// One engine process for the app, (re)loaded when the chosen model, context or provider changes. The
// tokenizer and chat template live here too, so prompts are tokenized by exactly the model's own rules.
// When the process dies (killed, out of memory, a crash in native code) it is replaced after a back-off and
// the model it held is loaded again, so the app recovers without a restart; documents then come back from
// their snapshots on the next question.
export class ModelRuntime {
  // Whoever uses the engine (a question, the self-check, an API request) takes a turn here, so that no one's
  // prefill runs between another's prefill and generation.
  readonly queue = new EngineQueue();
  // Saved prefixes, for every caller alike.
  readonly store: PrefixStore;
  #host: EngineHost | null = null;
  // The prefix key the engine's cache holds, as its last answer said: a prompt starting with it is sent without
  // the prefix's tokens. Forgotten with the engine (a death, a load).
  #held: string | null = null;
  #loaded: (LoadedModel & { key: string }) | null = null;
  #loading: Promise<LoadedModel> | null = null;
  #spawn: () => EngineProcess;
  #onState: (event: EngineStateEvent) => void;
  #onCheck: (event: LoadCheckEvent) => void;
  // What was last asked of ensure(), to load it again after a death.
  #wanted: { model: InstalledModel; settings: RuntimeSettings } | null = null;
  #deaths: number[] = [];
  #restartAt = 0;
  #lastExit: string | null = null;
  #reloadTimer: NodeJS.Timeout | null = null;
  #closed = false;
  // An answer's share of the engine before it yields to a waiting caller; null: answers run to their end, in
  // arrival order (the bench's comparison).
  readonly #sliceMs: number | null;

  constructor(options: {
    root: string;
    spawn?: () => EngineProcess;
    onState?: (event: EngineStateEvent) => void;
    onCheck?: (event: LoadCheckEvent) => void;
    snapshotBudgetBytes?: number | (() => number);
    timeSliceMs?: number | null;
  }) {
    this.store = new PrefixStore(options.root, options.snapshotBudgetBytes);
    this.#sliceMs = options.timeSliceMs === undefined ? TIME_SLICE_MS : options.timeSliceMs;
    this.#spawn = options.spawn ?? forkEngineProcess;
    this.#onState = options.onState ?? (() => undefined);
    this.#onCheck = options.onCheck ?? (() => undefined);
  }

  // The live engine. After a death this is a new process (the dead one's calls have already failed); callers
  // that need a model go through ensure(), which also waits out the back-off.
  get host(): EngineHost {
    this.#host ??= this.#start();
    return this.#host;
  }

  // Why the engine holds no model when it died, for models.engine; null while it is healthy.
  get lastExit(): string | null {
    return this.#loaded ? null : this.#lastExit;
  }

  #start(): EngineHost {
    this.#closed = false;
    const child = this.#spawn();
    const host = new EngineHost(child);
    child.onExit((reason) => this.#exited(host, reason));
    return host;
  }

  #exited(host: EngineHost, reason: string): void {
    // A process we stopped ourselves (close(), a replaced host) is no death.
    if (host !== this.#host) return;
    this.#host = null;
    this.#loaded = null;
    this.#held = null;
    const now = Date.now();
    this.#deaths = this.#deaths.filter((t) => now - t < CRASH_WINDOW_MS);
    this.#deaths.push(now);
    const delay = Math.min(MAX_RESTART_BACKOFF_MS, RESTART_BACKOFF_MS * 2 ** (this.#deaths.length - 1));
    this.#restartAt = now + delay;
    this.#lastExit = `the engine process exited (${reason}); restarting`;
    const wanted = this.#wanted;
    this.#onState({ state: 'exited', reason: this.#lastExit, modelId: wanted?.model.id ?? null, restartInMs: delay });
    if (!wanted || this.#deaths.length > MAX_AUTOMATIC_RELOADS) return;
    if (this.#reloadTimer) clearTimeout(this.#reloadTimer);
    this.#reloadTimer = setTimeout(() => {
      this.#reloadTimer = null;
      if (this.#closed) return;
      this.ensure(wanted.model, wanted.settings).then(
        () => this.#onState({ state: 'restarted', reason: null, modelId: wanted.model.id, restartInMs: 0 }),
        (error: Error) => {
          this.#lastExit = `the engine could not load ${wanted.model.id} again: ${error.message.split('\n')[0]}`;
          this.#onState({ state: 'failed', reason: this.#lastExit, modelId: wanted.model.id, restartInMs: 0 });
        },
      );
    }, delay);
    this.#reloadTimer.unref();
  }

  // Resolves once a new engine may start (immediately unless one died a moment ago).
  async #backOff(): Promise<void> {
    const wait = this.#restartAt - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  async ensure(model: InstalledModel, settings: RuntimeSettings, listeners: CallListeners = {}): Promise<LoadedModel> {
    const context = engineContext(model, settings);
    const key = JSON.stringify([model.dir, context, settings.provider]);
    this.#wanted = { model, settings: { contextTokens: settings.contextTokens, provider: settings.provider } };
    if (this.#loaded?.key === key) return this.#loaded;
    await this.#backOff();
    await this.#loading?.catch(() => undefined);
    if (this.#loaded?.key === key) return this.#loaded;
    this.#loading = (async () => {
      const host = this.host;
      this.#held = null;
      // Whoever waits on the load (a question, the API, a reload after a death) waits on this check too.
      let checked: VerifyProgress | null = null;
      const onVerify = (progress: VerifyProgress) => {
        checked = progress;
        this.#onCheck({ id: model.id, doneBytes: progress.doneBytes, totalBytes: progress.totalBytes, atLoad: true });
      };
      const report = await host.call('load', { dir: model.dir, options: { context, provider: settings.provider } }, { ...listeners, onVerify }).catch((error: QuireError) => {
        if (checked && error.code === 'MODEL_CORRUPT') this.#onCheck({ id: model.id, doneBytes: checked.doneBytes, totalBytes: checked.totalBytes, atLoad: true, error: error.message });
        throw error;
      });
      const loaded = { key, model, report };
      // The engine may have died while the tokenizer loaded: then it holds nothing, and saying otherwise
      // would send the next question to an empty process.
      if (host !== this.#host) throw new QuireError('INTERNAL', this.#lastExit ?? 'the engine process exited while loading the model');
      this.#loaded = loaded;
      return loaded;
    })();
    try {
      return await this.#loading;
    } finally {
      this.#loading = null;
    }
  }

  // The model the engine holds and what it reported on load (provider, path, and why), for the Models screen.
  get loaded(): LoadedModel | null {
    return this.#loaded;
  }

  // One question or completion, the only way the app, the API and the CLI use the engine: waits its turn, loads
  // the model where needed, then one engine call reads what the cache lacks (restoring the best saved prefix),
  // answers, and saves what is worth keeping. A first question costs two engine calls (load, answer), a
  // follow-up one; a stop at any point resolves with the answer so far, marked stopped. While another caller
  // waits, a long answer yields its turn after its time slice and continues when its turn comes round again.
  answer(request: AnswerRequest, listeners: AnswerListeners = {}): Promise<Answered> {
    return this.queue.run(request.signal, async (turn) => {
      const loaded = await this.ensure(request.model, request.settings);
      // A stop during the load reached no engine call: the question ends here, before one starts.
      if (request.signal.aborted) throw new QuireError('CANCELLED', 'stopped before the engine began');
      const context = loaded.report.context;
      const { prefix, tail } = request.prompt;
      const promptTokens = (prefix?.length ?? 0) + tail.length;
      const maxNewTokens = request.room(context);
      if (promptTokens + maxNewTokens > context) {
        throw new QuireError(
          'DOES_NOT_FIT',
          `this conversation needs ${promptTokens + maxNewTokens} tokens but the context is ${context}; choose a longer context in Settings (a lower KV precision makes it fit in less memory) or fewer documents`,
        );
      }
      // A stop reaches the engine only while this answer holds it, not while it waits after yielding.
      const held = { turn, holding: true };
      const cancel = () => held.holding && this.cancel();
      request.signal.addEventListener('abort', cancel);
      try {
        const engineListeners: CallListeners = { ...listeners, onAnswer: (result) => listeners.onAnswer?.({ ...result, context }) };
        let result = this.#held !== null && prefix?.key === this.#held ? await this.#call(request, loaded, null, engineListeners, held) : 'prefix-not-held';
        if (result === 'prefix-not-held') result = await this.#call(request, loaded, prefix ? await prefix.tokens() : null, engineListeners, held);
        if (result === 'prefix-not-held') throw new QuireError('INTERNAL', 'the engine did not take the prompt prefix it was sent');
        return { ...result, context };
      } finally {
        request.signal.removeEventListener('abort', cancel);
      }
    });
  }

  // `prefixTokens` null: the engine holds the prefix already and gets the tail alone.
  async #call(request: AnswerRequest, loaded: LoadedModel, prefixTokens: Int32Array | null, listeners: CallListeners, held: Holding): Promise<AnswerResult | 'prefix-not-held'> {
    const { model } = request;
    const { prefix, tail } = request.prompt;
    const snapshots = loaded.report.snapshots.ok;
    // The whole prompt is known only when the prefix's tokens are at hand: then the best saved prefix is found.
    const prompt = prefixTokens ? concat(prefixTokens, tail) : prefix ? null : tail;
    const match = snapshots && prompt ? await this.store.longestMatch(model.id, prompt, loaded.report.context) : null;
    let save: AnswerParams['save'] = null;
    let saveTokens: ArrayLike<number> = [];
    // A prefix the engine holds was read or restored before: it is not saved again (needsSave), so a follow-up
    // does not look for room.
    if (snapshots && request.save === 'prefix' && prefix && prefix.length > 0 && prefixTokens) {
      save = { path: this.store.path(model.id, prefix.key), length: prefix.length, minPrefilled: 1 };
      saveTokens = prefixTokens;
    } else if (snapshots && typeof request.save === 'object' && prompt) {
      save = { path: this.store.path(model.id, prefixKey(prompt)), length: prompt.length, minPrefilled: request.save.promptMinPrefilled };
      saveTokens = prompt;
    }
    // A cache larger than all the room saved caches have is not saved at all, rather than evicting every other
    // document's to make room for it (and then itself, at the next save); the answer says so.
    if (save) {
      const bytes = save.length * loaded.report.kvBytesPerToken;
      const room = await this.store.room();
      if (bytes > room) {
        listeners.onWarning?.(
          `this ${prefix ? "document's" : "prompt's"} cache (${formatBytes(bytes)}) is larger than the ${formatBytes(room)} saved caches may use on this disk, so it is not saved and is processed again after a restart; raise the limit in Settings → Saved document caches, or free disk space, to keep it`,
        );
        save = null;
      }
    }
    const params: AnswerParams = {
      prefix: prefix ? { key: prefix.key, length: prefix.length, tokens: prefixTokens } : null,
      tail,
      restore: match?.path ?? null,
      save,
      checkpoints: save ? dirname(save.path) : null,
      maxNewTokens: request.room(loaded.report.context),
      sampling: request.sampling,
      stop: request.stop,
      ...(request.format ? { format: request.format } : {}),
      ...(request.logprobs !== undefined && request.logprobs !== null ? { logprobs: request.logprobs } : {}),
      share: this.#sliceMs === null ? null : { sliceMs: this.#sliceMs },
    };
    // The engine drops a cancel that arrives while it runs nothing, so a stop during the awaits above is seen here.
    if (request.signal.aborted) throw new QuireError('CANCELLED', 'stopped before the engine began');
    let result = await this.#shared(held.turn, () => this.host.call('answer', params, listeners));
    if (result === 'prefix-not-held') return result;
    this.#held = result.held;
    while (result.paused !== undefined) result = await this.#resume(request, result, result.paused, listeners, held);
    if (result.restored) await this.store.restored(result.restored);
    // (A damaged prefix read again is saved again under the same name.)
    if (result.discarded && result.discarded !== result.saved) await this.store.discard(result.discarded);
    if (result.saved) await this.store.saved(model.id, result.saved, saveTokens, prefix?.owners ?? []);
    // A read stopped part-way left its latest checkpoint: the next question about the same text reads on from it.
    if (result.checkpoint && prompt) await this.store.saved(model.id, result.checkpoint.path, prompt.subarray(0, result.checkpoint.length), prefix?.owners ?? []);
    return result;
  }

  // An engine call during which a caller that starts waiting is told to the engine, so the answer yields to it.
  async #shared<T>(turn: Turn, call: () => Promise<T>): Promise<T> {
    const host = this.host;
    const pending = call();
    const stop = turn.onContested(() => host.yield());
    try {
      return await pending;
    } finally {
      stop();
    }
  }

  // Waits for the turn to come round again, then continues the paused answer; a caller that goes away meanwhile
  // gets the answer so far, marked stopped.
  async #resume(request: AnswerRequest, sofar: AnswerResult, paused: number, listeners: CallListeners, held: Holding): Promise<AnswerResult> {
    const stopped = (): AnswerResult => {
      this.#host?.forget(paused);
      const { paused: _, ...answer } = sofar;
      const result = { ...answer, stopped: true };
      listeners.onAnswer?.(result);
      return result;
    };
    held.holding = false;
    try {
      await held.turn.pass();
    } catch (error) {
      if (error instanceof QuireError && error.code === 'CANCELLED') return stopped();
      throw error;
    }
    held.holding = true;
    // Another caller may have loaded another model meanwhile.
    await this.ensure(request.model, request.settings);
    if (request.signal.aborted) return stopped();
    const result = await this.#shared(held.turn, () => this.host.call('resume', { paused }, listeners));
    this.#held = result.held;
    return result;
  }

  cancel(): void {
    this.#host?.cancel();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reloadTimer) clearTimeout(this.#reloadTimer);
    this.#reloadTimer = null;
    this.#wanted = null;
    const host = this.#host;
    // Cleared first, so the exit that follows is not taken for a death.
    this.#host = null;
    this.#loaded = null;
    this.#held = null;
    await host?.close();
  }
}

// The answer's turn, and whether it holds the engine now (not while it waits after yielding).
interface Holding {
  turn: Turn;
  holding: boolean;
}

function concat(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
