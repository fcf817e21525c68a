import type { InstalledModel, Settings } from '../../common/contract.ts';
import { QuireError } from '../../common/errors.ts';
import { engineContext } from '../../../models/model-spec.ts';
import { LiveCache } from '../engine/document-cache.ts';
import { EngineQueue } from '../engine/engine-queue.ts';
import { EngineHost, forkEngineProcess, type CallListeners, type EngineProcess } from '../engine/engine-host.ts';
import type { NiahCell, NiahRunOptions } from '../engine/engine-protocol.ts';
import type { EngineReport } from '../engine/engine-session.ts';
import type { NiahResult } from '../eval/niah.ts';

export interface LoadedModel {
  model: InstalledModel;
  report: EngineReport;
  // What this engine's KV cache holds; changed only through its own methods.
  readonly cache: LiveCache;
}

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

type RuntimeSettings = Pick<Settings, 'contextTokens' | 'provider'>;

// One engine process for the app, (re)loaded when the chosen model, context or provider changes. The
// tokenizer and chat template live here too, so prompts are tokenized by exactly the model's own rules.
// When the process dies (killed, out of memory, a crash in native code) it is replaced after a back-off and
// the model it held is loaded again, so the app recovers without a restart; documents then come back from
// their snapshots on the next question.
export class ModelRuntime {
  // Whoever uses the engine (a question, the self-check, an API request) takes a turn here, so that no one's
  // prefill runs between another's prefill and generation.
  readonly queue = new EngineQueue();
  #host: EngineHost | null = null;
  #loaded: (LoadedModel & { key: string }) | null = null;
  #loading: Promise<LoadedModel> | null = null;
  #spawn: () => EngineProcess;
  #onState: (event: EngineStateEvent) => void;
  // What was last asked of ensure(), to load it again after a death.
  #wanted: { model: InstalledModel; settings: RuntimeSettings } | null = null;
  #deaths: number[] = [];
  #restartAt = 0;
  #lastExit: string | null = null;
  #reloadTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(spawn: () => EngineProcess = forkEngineProcess, onState: (event: EngineStateEvent) => void = () => undefined) {
    this.#spawn = spawn;
    this.#onState = onState;
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
      const report = await host.call('load', { dir: model.dir, options: { context, provider: settings.provider } }, listeners);
      const loaded = { key, model, report, cache: new LiveCache() };
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

  // Runs a short NIAH on `model` in the engine's process. The chat model is unloaded first (its weights are
  // never held twice) and loads again on the next question.
  async selfCheck(model: InstalledModel, options: NiahRunOptions, onCell: (cell: NiahCell) => void): Promise<NiahResult> {
    return this.queue.run(new AbortController().signal, async () => {
      await this.#backOff();
      await this.#loading?.catch(() => undefined);
      this.#loaded = null;
      return this.host.call('niah', { dir: model.dir, options }, { onCell });
    });
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
    await host?.close();
  }
}
