import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstalledModel, Settings } from '../../common/contract.ts';
import { chatTemplateFromConfig, type ChatMessage, type ChatTemplate } from '../../../models/chat-template.ts';
import { loadTokenizer, type Tokenizer, type TokenizerConfigJson } from '../../../models/tokenizer/tokenizer.ts';
import { EngineHost, forkEngineProcess, type CallListeners, type EngineProcess } from '../engine/engine-host.ts';
import type { NiahCell, NiahRunOptions } from '../engine/engine-protocol.ts';
import type { EngineReport } from '../engine/engine-session.ts';
import type { NiahResult } from '../eval/niah.ts';

export interface LoadedModel {
  model: InstalledModel;
  report: EngineReport;
  tokenizer: Tokenizer;
  template: ChatTemplate;
  encode(messages: ChatMessage[], addGenerationPrompt?: boolean): Uint32Array;
  // What the engine's KV cache is known to hold (a prefix of it may be all that is certain), so a follow-up
  // can skip even the snapshot check when the conversation already sits in the cache.
  cachedTokens: number[];
}

// One engine process for the app, (re)loaded when the chosen model, context or provider changes. The
// tokenizer and chat template live here too, so prompts are tokenized by exactly the model's own rules.
export class ModelRuntime {
  #host: EngineHost | null = null;
  #loaded: (LoadedModel & { key: string }) | null = null;
  #loading: Promise<LoadedModel> | null = null;
  #spawn: () => EngineProcess;

  constructor(spawn: () => EngineProcess = forkEngineProcess) {
    this.#spawn = spawn;
  }

  get host(): EngineHost {
    this.#host ??= new EngineHost(this.#spawn());
    return this.#host;
  }

  async ensure(model: InstalledModel, settings: Pick<Settings, 'contextTokens' | 'provider'>, listeners: CallListeners = {}): Promise<LoadedModel> {
    const context = Math.min(settings.contextTokens, model.contextTokens);
    const key = JSON.stringify([model.dir, context, settings.provider]);
    if (this.#loaded?.key === key) return this.#loaded;
    await this.#loading?.catch(() => undefined);
    if (this.#loaded?.key === key) return this.#loaded;
    this.#loading = (async () => {
      const report = await this.host.call('load', { dir: model.dir, options: { context, provider: settings.provider } }, listeners);
      const tokenizer = await loadTokenizer(model.dir);
      const config = JSON.parse(readFileSync(join(model.dir, 'tokenizer_config.json'), 'utf8')) as TokenizerConfigJson;
      const template = chatTemplateFromConfig(config);
      const loaded = {
        key,
        model,
        report,
        tokenizer,
        template,
        encode: (messages: ChatMessage[], addGenerationPrompt = false) => template.encode(tokenizer, messages, { addGenerationPrompt }),
        cachedTokens: [],
      };
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
    await this.#loading?.catch(() => undefined);
    this.#loaded = null;
    return this.host.call('niah', { dir: model.dir, options }, { onCell });
  }

  cancel(): void {
    this.#host?.cancel();
  }

  async close(): Promise<void> {
    await this.#host?.close();
    this.#host = null;
    this.#loaded = null;
  }
}
