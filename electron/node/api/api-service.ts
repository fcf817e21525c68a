import type { ApiStatus, Settings } from '../../common/contract.ts';
import { toEnvelope } from '../../common/errors.ts';
import type { SecretStore } from '../secrets.ts';
import type { ApiEngine } from './api-engine.ts';
import { apiKey } from './api-key.ts';
import { startApiServer, type ApiServer } from './openai-server.ts';

// The OpenAI-compatible API inside the app (Settings → API): the same server as `quire serve --api`, on
// loopback, over the app's own engine — requests take their turn with the user's questions in the engine's
// queue. Started and stopped as Settings change; the status (its URL and key, or why it could not start)
// goes to the UI, which shows the key because the user must copy it into the other app.
export class ApiService {
  #engine: ApiEngine;
  #secrets: SecretStore;
  #onChange: (status: ApiStatus) => void;
  #server: ApiServer | null = null;
  #status: ApiStatus = { state: 'off', url: null, key: null, error: null };
  // Settings may change again while a server starts or stops: each change waits for the previous one.
  #applying: Promise<unknown> = Promise.resolve();

  constructor(engine: ApiEngine, secrets: SecretStore, onChange: (status: ApiStatus) => void) {
    this.#engine = engine;
    this.#secrets = secrets;
    this.#onChange = onChange;
  }

  status(): ApiStatus {
    return this.#status;
  }

  apply(wanted: Settings['apiServer']): Promise<ApiStatus> {
    const next = this.#applying.then(() => this.#apply(wanted));
    this.#applying = next.catch(() => undefined);
    return next;
  }

  async #apply({ enabled, port, maxTokens }: Settings['apiServer']): Promise<ApiStatus> {
    if (this.#server && (!enabled || this.#server.port !== port)) {
      const server = this.#server;
      this.#server = null;
      await server.close();
      this.#set({ state: 'off', url: null, key: null, error: null });
    }
    this.#server?.setMaxAnswerTokens(maxTokens);
    if (enabled && !this.#server) {
      try {
        const key = apiKey(this.#secrets);
        this.#server = await startApiServer({ port, key, engine: this.#engine, maxAnswerTokens: maxTokens });
        this.#set({ state: 'running', url: this.#server.baseUrl, key, error: null });
      } catch (error) {
        const { code, message } = toEnvelope(error);
        const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${port} is already in use; choose another` : `${code}: ${message.split('\n')[0]}`;
        this.#set({ state: 'failed', url: null, key: null, error: reason });
      }
    }
    return this.#status;
  }

  #set(status: ApiStatus): void {
    this.#status = status;
    this.#onChange(status);
  }

  async close(): Promise<void> {
    await this.#applying;
    const server = this.#server;
    this.#server = null;
    await server?.close();
    await this.#engine.settled();
  }
}
