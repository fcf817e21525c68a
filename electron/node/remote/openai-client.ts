// A client for OpenAI-compatible servers (vLLM first: its /tokenize, its max_model_len and its error bodies;
// llama.cpp, Ollama, LM Studio and transformers serve for what they report differently), written for
// whole-document prompts: a prefill can keep a stream silent for minutes, so the silence allowed
// is the caller's to set; a chat is never sent twice (the server would process the document again); and every
// failure is one REMOTE_* QuireError in words, never a socket code or the key.
import { z } from 'zod';
import type { ChatMessage } from '../../../models/chat-template.ts';
import { PromptStyle } from '../../../models/model-spec.ts';
import { checkEngineUrl } from '../../common/engine-url.ts';
import { QuireError, type ErrorCode } from '../../common/errors.ts';
import { causeChain, NETWORK_WORDS } from '../../common/network-words.ts';

export { checkEngineUrl };

export interface RemoteModel {
  id: string;
  // The context the server runs the model with, from whichever field its kind reports it in; null where none does.
  maxModelLen: number | null;
  ownedBy: string | null;
  // maxModelLen is the user's word (EngineStore.setContext), the server reporting none.
  contextStated?: boolean;
  // How the model wants its prompt laid out, where the server says (Quire's own API does; others do not).
  promptStyle: PromptStyle | null;
}

export interface RemoteUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number | null;
}

export interface RemoteChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface RemoteChatResult {
  text: string;
  finishReason: string | null;
  usage: RemoteUsage | null;
}

export interface OpenAiClientOptions {
  // Ends with /v1 (checkEngineUrl normalizes it).
  baseUrl: string;
  apiKey: string | null;
  allowInsecureHttp?: boolean;
  fetch?: typeof fetch;
  // Longest wait for the answer's headers of a quick call (the model list).
  connectTimeoutMs?: number;
  // Longest silence of a server at work: a tokenize before it answers, a stream between two chunks (the
  // first chunk comes only after the whole prompt is processed).
  idleTimeoutMs?: number;
  // Waits before each new attempt of an idempotent call (tests shorten them).
  retryDelaysMs?: readonly number[];
}

const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_RETRY_DELAYS_MS = [500, 2_000];
const RETRIED_STATUSES = new Set([502, 503, 504]);
const MESSAGE_LIMIT = 400;
// What a server may send in one answer body (a /tokenize of a 4M-token prompt is about 30 MB of JSON) and in
// one stream event: a runaway or hostile server is cut off rather than allowed to fill the memory.
const BODY_LIMIT = 256 * 2 ** 20;
const EVENT_LIMIT = 4 * 2 ** 20;

const contextLength = z.number().int().positive();
// GET /v1/models. vLLM's ModelCard adds max_model_len to OpenAI's {id, object, created, owned_by}; Quire's adds
// prompt_style too.
const ModelList = z.object({
  data: z.array(
    z.object({ id: z.string().min(1), max_model_len: contextLength.nullish(), owned_by: z.string().nullish(), prompt_style: PromptStyle.nullish().catch(null) }).passthrough(),
  ),
});
// vLLM's TokenizeResponse {count, max_model_len, tokens, token_strs}; llama.cpp's {tokens}.
const TokenizeReply = z.object({ tokens: z.array(z.number().int().nonnegative()) }).passthrough();
// llama.cpp's POST /apply-template: the chat template rendered, as text.
const TemplateReply = z.object({ prompt: z.string() }).passthrough();
// Where servers that leave max_model_len out say the context they run a model with (from their docs):
// llama.cpp's GET /props (`default_generation_settings.n_ctx`, older builds `n_ctx`), LM Studio's GET
// /api/v0/models/{id} (`loaded_context_length`, else `max_context_length`), Ollama's POST /api/show (`num_ctx`
// in its parameters where the Modelfile sets it, else the model's `<arch>.context_length`).
const LlamaCppProps = z.object({ default_generation_settings: z.object({ n_ctx: contextLength.nullish() }).passthrough().nullish(), n_ctx: contextLength.nullish() }).passthrough();
const LmStudioModel = z.object({ loaded_context_length: contextLength.nullish(), max_context_length: contextLength.nullish() }).passthrough();
const OllamaShow = z.object({ parameters: z.string().nullish(), model_info: z.record(z.string(), z.unknown()).nullish() }).passthrough();
const Usage = z
  .object({
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative().nullish(),
    prompt_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative().nullish() }).passthrough().nullish(),
  })
  .passthrough();
const Choice = z
  .object({
    delta: z.object({ content: z.string().nullish() }).passthrough().nullish(),
    message: z.object({ content: z.string().nullish() }).passthrough().nullish(),
    finish_reason: z.string().nullish(),
  })
  .passthrough();
const Chunk = z.object({ choices: z.array(Choice).nullish(), usage: Usage.nullish() }).passthrough();

function usageOf(usage: z.infer<typeof Usage> | null | undefined): RemoteUsage | null {
  if (!usage) return null;
  return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens ?? 0, cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? null };
}

// The server's own words from either error body vLLM has sent (`{"object":"error","message",...}` and, like
// OpenAI, `{"error":{"message","code",...}}`), FastAPI's `{"detail": ...}`, or the text itself; with OpenAI's
// string code where there is one (`model_not_found`, `context_length_exceeded`).
function serverError(body: string): { message: string; code: string | null } {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const nested = parsed?.error;
    const fields = (nested && typeof nested === 'object' ? nested : parsed) as { message?: unknown; detail?: unknown; code?: unknown };
    const message = typeof nested === 'string' ? nested : (fields.message ?? fields.detail);
    const code = typeof fields.code === 'string' ? fields.code : null;
    if (typeof message === 'string') return { message, code };
    if (message !== undefined) return { message: JSON.stringify(message), code };
  } catch {
    // not JSON: the text is the message
  }
  return { message: body.trim(), code: null };
}

const CONTEXT_EXCEEDED = /maximum context length|context length|is too long|longer than the maximum model length/i;
const MODEL_MISSING = /model\b.*\b(does not exist|not found)|no such model|unknown model/i;
const modelMissing = (e: { message: string; code: string | null }) => e.code === 'model_not_found' || MODEL_MISSING.test(e.message);
const contextExceeded = (e: { message: string; code: string | null }) => e.code === 'context_length_exceeded' || CONTEXT_EXCEEDED.test(e.message);

type Why = 'cancel' | 'timeout' | null;

export class OpenAiClient {
  readonly host: string;
  readonly baseUrl: string;
  #root: string;
  #apiKey: string | null;
  #fetch: typeof fetch;
  #connectTimeoutMs: number;
  #idleTimeoutMs: number;
  #retryDelaysMs: readonly number[];
  // The model list, asked once per client (an engine's session): a question needs it, the server's context
  // does not change while it runs. A refusal that says otherwise (the model gone, the context exceeded) or
  // models(true) asks again.
  #models: Promise<RemoteModel[]> | null = null;

  constructor(options: OpenAiClientOptions) {
    const url = checkEngineUrl(options.baseUrl, options.allowInsecureHttp ?? false);
    this.host = url.host;
    this.baseUrl = url.href;
    this.#root = url.href.replace(/\/v1$/, '');
    this.#apiKey = options.apiKey || null;
    this.#fetch = options.fetch ?? fetch;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  }

  models(refresh = false): Promise<RemoteModel[]> {
    if (refresh || !this.#models) {
      const listing = this.#listModels();
      this.#models = listing;
      listing.catch(() => {
        if (this.#models === listing) this.#models = null;
      });
    }
    return this.#models;
  }

  async #listModels(): Promise<RemoteModel[]> {
    const body = await this.#idempotent(() => this.#json('GET', `${this.baseUrl}/models`, undefined, this.#connectTimeoutMs), 'the model list');
    const list = ModelList.safeParse(body);
    if (!list.success) throw this.#error('REMOTE_SERVER_ERROR', `${this.host} answered /v1/models with something that is not a model list`);
    return Promise.all(
      list.data.data.map(async (m) => ({
        id: m.id,
        maxModelLen: m.max_model_len ?? (await this.#reportedContext(m.id)),
        ownedBy: m.owned_by ?? null,
        promptStyle: m.prompt_style ?? null,
      })),
    );
  }

  // The context of a model whose card leaves it out, from the field each server kind has for it; null when
  // none answers (transformers serve has none: the user is asked).
  async #reportedContext(model: string): Promise<number | null> {
    const probes: [string, string, object | undefined, (body: unknown) => number | null | undefined][] = [
      ['GET', `${this.#root}/props`, undefined, (b) => { const p = LlamaCppProps.safeParse(b); return p.success ? (p.data.default_generation_settings?.n_ctx ?? p.data.n_ctx) : null; }],
      ['GET', `${this.#root}/api/v0/models/${encodeURIComponent(model)}`, undefined, (b) => { const m = LmStudioModel.safeParse(b); return m.success ? (m.data.loaded_context_length ?? m.data.max_context_length) : null; }],
      ['POST', `${this.#root}/api/show`, { model }, (b) => ollamaContext(b)],
    ];
    for (const [method, url, payload, read] of probes) {
      try {
        const context = read(await this.#json(method, url, payload, this.#connectTimeoutMs, true));
        if (context) return context;
      } catch {
        // Another kind of server: this path means something else there or is refused; the next probe decides.
      }
    }
    return null;
  }

  // The prompt's tokens exactly as the chat will send them: the server's POST /tokenize at its root rendering
  // the chat template (vLLM), else — where /tokenize reads only text (llama.cpp: `content`, and an empty list
  // for anything else) — the template rendered by the server's /apply-template and that text tokenized. Null
  // where the server cannot count; never an empty list for a prompt, which no template renders to nothing.
  async tokenizeChat(model: string, messages: ChatMessage[], signal?: AbortSignal): Promise<number[] | null> {
    const rendered = await this.#tokenize({ model, messages, add_generation_prompt: true, add_special_tokens: false }, signal);
    if (rendered === null || rendered.length > 0) return rendered;
    const template = await this.#idempotent(() => this.#json('POST', `${this.#root}/apply-template`, { model, messages }, this.#idleTimeoutMs, true, signal), 'rendering the template');
    const text = TemplateReply.safeParse(template);
    if (!text.success || !text.data.prompt) return null;
    // The rendered text carries the template's special tokens (its BOS included) as text: parse them, add none.
    const tokens = await this.#tokenize({ model, content: text.data.prompt, add_special: false, parse_special: true }, signal);
    return tokens?.length ? tokens : null;
  }

  // A stop while a long prompt is being tokenized (a 4M-token /tokenize takes a while) ends it at once.
  async #tokenize(payload: object, signal?: AbortSignal): Promise<number[] | null> {
    const body = await this.#idempotent(() => this.#json('POST', `${this.#root}/tokenize`, payload, this.#idleTimeoutMs, true, signal), 'tokenizing');
    if (body === null) return null;
    const reply = TokenizeReply.safeParse(body);
    if (!reply.success) throw this.#error('REMOTE_SERVER_ERROR', `${this.host} answered /tokenize without a token list`);
    return reply.data.tokens;
  }

  // onFirstToken comes with the first piece of the answer (or its end, for an empty one), not with the stream's
  // opening event: vLLM and others send the role alone at once, before the prompt is read.
  async chat(request: RemoteChatRequest, handlers: { onText(piece: string): void; onFirstToken?(): void }): Promise<RemoteChatResult> {
    const payload = {
      model: request.model,
      messages: request.messages,
      max_tokens: request.maxTokens,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.topP !== undefined ? { top_p: request.topP } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      stream: true,
      stream_options: { include_usage: true },
    };
    const exchange = this.#open('POST', `${this.baseUrl}/chat/completions`, payload, this.#idleTimeoutMs, request.signal);
    try {
      const response = await exchange.response;
      if (!response.ok) throw this.#statusError(response.status, await exchange.text(response), 'the answer');
      const result: RemoteChatResult = { text: '', finishReason: null, usage: null };
      let first = true;
      const started = () => {
        if (!first) return;
        first = false;
        handlers.onFirstToken?.();
      };
      const take = (data: unknown) => {
        if (data && typeof data === 'object' && ('error' in data || (data as { object?: unknown }).object === 'error')) {
          const error = serverError(JSON.stringify(data));
          throw this.#error(contextExceeded(error) ? 'REMOTE_CONTEXT_EXCEEDED' : 'REMOTE_SERVER_ERROR', `${this.host} failed while answering: ${this.#clean(error.message)}`);
        }
        const chunk = Chunk.safeParse(data);
        if (!chunk.success) throw this.#error('REMOTE_SERVER_ERROR', `${this.host} sent a chunk that is not a chat completion`);
        for (const choice of chunk.data.choices ?? []) {
          const piece = choice.delta?.content ?? choice.message?.content;
          if (piece || choice.finish_reason) started();
          if (piece) {
            result.text += piece;
            handlers.onText(piece);
          }
          if (choice.finish_reason) result.finishReason = choice.finish_reason;
        }
        if (chunk.data.usage) result.usage = usageOf(chunk.data.usage);
      };
      // A server that ignores `stream` answers with one JSON body.
      if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
        const text = await exchange.text(response);
        take(parseJson(text, () => this.#error('REMOTE_SERVER_ERROR', `${this.host} answered with something that is not a chat completion`)));
        return result;
      }
      let done = false;
      for await (const data of exchange.events(response)) {
        if (data === '[DONE]') {
          done = true;
          break;
        }
        take(parseJson(data, () => this.#error('REMOTE_SERVER_ERROR', `${this.host} sent a chunk that is not JSON`)));
      }
      if (!done && result.finishReason === null) throw this.#error('REMOTE_UNREACHABLE', `the connection to ${this.host} closed before the answer was complete`);
      return result;
    } catch (error) {
      const failure = exchange.translate(error);
      // The server's model or its context changed since the list was read: the next question reads it again.
      if (failure.code === 'REMOTE_MODEL_MISSING' || failure.code === 'REMOTE_CONTEXT_EXCEEDED') this.#models = null;
      throw failure;
    } finally {
      exchange.close();
    }
  }

  // A call safe to repeat: again after a gateway error or a dropped connection, with back-off.
  async #idempotent<T>(call: () => Promise<T>, what: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const retry = error instanceof RetryableError && attempt < this.#retryDelaysMs.length;
        if (!retry) throw error instanceof RetryableError ? error.final(what) : error;
        await new Promise((resolve) => setTimeout(resolve, this.#retryDelaysMs[attempt]));
      }
    }
  }

  // One JSON request and its JSON answer; null for an endpoint the server does not have (when allowed).
  async #json(method: string, url: string, payload: object | undefined, headersTimeoutMs: number, missingIsNull = false, signal?: AbortSignal): Promise<unknown> {
    const exchange = this.#open(method, url, payload, headersTimeoutMs, signal);
    try {
      const response = await exchange.response;
      const text = await exchange.text(response);
      if (RETRIED_STATUSES.has(response.status)) throw new RetryableError(this.#statusError(response.status, text, ''));
      if (missingIsNull && (response.status === 404 || response.status === 405) && !modelMissing(serverError(text))) return null;
      if (!response.ok) throw this.#statusError(response.status, text, '');
      return parseJson(text, () => this.#error('REMOTE_SERVER_ERROR', `${this.host} answered ${new URL(url).pathname} with something that is not JSON`));
    } catch (error) {
      if (error instanceof RetryableError) throw error;
      const translated = exchange.translate(error);
      if (translated.code === 'REMOTE_UNREACHABLE' && exchange.dropped) throw new RetryableError(translated);
      throw translated;
    } finally {
      exchange.close();
    }
  }

  // One HTTP exchange with its own abort: the caller's signal (CANCELLED), a deadline for the headers and
  // then for each silence of the body (REMOTE_TIMEOUT). Closing aborts it, which closes the connection: a
  // server stops working on a request whose client went away.
  #open(method: string, url: string, payload: object | undefined, headersTimeoutMs: number, signal?: AbortSignal) {
    const controller = new AbortController();
    let why: Why = null;
    let timer: NodeJS.Timeout | null = null;
    const abort = (reason: Why) => {
      why ??= reason;
      controller.abort();
    };
    const arm = (ms: number) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => abort('timeout'), ms);
    };
    const onCancel = () => abort('cancel');
    if (signal?.aborted) why = 'cancel';
    signal?.addEventListener('abort', onCancel, { once: true });
    arm(headersTimeoutMs);
    const headers: Record<string, string> = { accept: payload && url.endsWith('/chat/completions') ? 'text/event-stream' : 'application/json' };
    if (payload) headers['content-type'] = 'application/json';
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    const client = this;
    const state = {
      dropped: false,
      response:
        why === 'cancel'
          ? Promise.reject(new QuireError('CANCELLED', 'cancelled'))
          : this.#fetch(url, { method, headers, body: payload ? JSON.stringify(payload) : undefined, signal: controller.signal, redirect: 'error' }).then((r) => {
              arm(this.#idleTimeoutMs);
              return r;
            }),
      async text(response: Response): Promise<string> {
        let text = '';
        for await (const piece of state.chunks(response)) {
          text += piece;
          if (text.length > BODY_LIMIT) throw client.#error('REMOTE_SERVER_ERROR', `${client.host} sent an answer larger than ${BODY_LIMIT / 2 ** 20} MB`);
        }
        return text;
      },
      async *chunks(response: Response): AsyncGenerator<string> {
        if (!response.body) return;
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          arm(client.#idleTimeoutMs);
          yield decoder.decode(value, { stream: true });
        }
        const rest = decoder.decode();
        if (rest) yield rest;
      },
      events(response: Response): AsyncGenerator<string> {
        return eventData(state.chunks(response), () => client.#error('REMOTE_SERVER_ERROR', `${client.host} sent a stream event larger than ${EVENT_LIMIT / 2 ** 20} MB`));
      },
      translate(error: unknown): QuireError {
        if (why === 'cancel') return new QuireError('CANCELLED', 'cancelled');
        if (why === 'timeout') return client.#error('REMOTE_TIMEOUT', `${client.host} did not answer in time`);
        if (error instanceof QuireError) return error;
        const failure = networkFailure(error);
        state.dropped = failure.dropped;
        return client.#error(failure.code, failure.message(client.host));
      },
      close() {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onCancel);
        controller.abort();
      },
    };
    return state;
  }

  #statusError(status: number, body: string, what: string): QuireError {
    const error = serverError(body);
    const message = this.#clean(error.message) || `HTTP ${status}`;
    if (status === 401 || status === 403) return this.#error('REMOTE_UNAUTHORIZED', `${this.host} refused the API key (${status}): ${message}`);
    if (status === 404 && modelMissing(error)) return this.#error('REMOTE_MODEL_MISSING', `${this.host} does not serve that model: ${message}`);
    if ((status === 400 || status === 413) && contextExceeded(error)) return this.#error('REMOTE_CONTEXT_EXCEEDED', `the prompt does not fit the model on ${this.host}: ${message}`);
    return this.#error('REMOTE_SERVER_ERROR', `${this.host} failed${what ? ` on ${what}` : ''} (${status}): ${message}`);
  }

  // The server's text, one line, bounded, and never the key (a server could echo a header back).
  #clean(message: string): string {
    let line = message.replace(/\s+/g, ' ').trim();
    if (this.#apiKey) line = line.split(this.#apiKey).join('[key]');
    return line.length > MESSAGE_LIMIT ? `${line.slice(0, MESSAGE_LIMIT)}…` : line;
  }

  #error(code: ErrorCode, message: string): QuireError {
    return new QuireError(code, this.#apiKey ? message.split(this.#apiKey).join('[key]') : message);
  }
}

// A failure worth another attempt of an idempotent call; carries the error to report when attempts run out.
class RetryableError extends Error {
  readonly error: QuireError;
  constructor(error: QuireError) {
    super(error.message);
    this.error = error;
  }
  final(what: string): QuireError {
    return new QuireError(this.error.code, what ? `${this.error.message} (${what}, after retries)` : this.error.message);
  }
}

// Server-sent events' data fields, one per event (vLLM sends one `data:` line per event).
async function* eventData(chunks: AsyncIterable<string>, tooLarge: () => QuireError): AsyncGenerator<string> {
  let buffer = '';
  let data: string[] = [];
  for await (const piece of chunks) {
    buffer += piece;
    if (buffer.length > EVENT_LIMIT) throw tooLarge();
    let end: number;
    while ((end = buffer.search(/\r?\n|\r/)) >= 0) {
      // A CR at the end of a chunk may be the first half of a CRLF.
      if (end === buffer.length - 1 && buffer[end] === '\r') break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.slice(end, end + 2) === '\r\n' ? 2 : 1));
      if (line === '') {
        if (data.length) yield data.join('\n');
        data = [];
      } else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
  }
  if (data.length) yield data.join('\n');
}

// Ollama's /api/show: `num_ctx N` among its parameters' lines, else the model's trained context.
function ollamaContext(body: unknown): number | null {
  const show = OllamaShow.safeParse(body);
  if (!show.success) return null;
  const set = /^num_ctx\s+(\d+)\s*$/m.exec(show.data.parameters ?? '');
  if (set && Number(set[1]) > 0) return Number(set[1]);
  const trained = Object.entries(show.data.model_info ?? {}).find(([key, value]) => key.endsWith('.context_length') && Number.isInteger(value) && (value as number) > 0);
  return trained ? (trained[1] as number) : null;
}

function parseJson(text: string, invalid: () => QuireError): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid();
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|HOSTNAME/;

// What went wrong under fetch's "fetch failed", from the codes along its cause chain.
function networkFailure(error: unknown): { code: ErrorCode; dropped: boolean; message: (host: string) => string } {
  const { codes, texts } = causeChain(error);
  const tls = codes.find((c) => TLS_CODES.test(c));
  if (tls) {
    const detail = texts.find((t) => /certificate|self.signed|altnames|hostname/i.test(t)) ?? tls;
    return { code: 'REMOTE_TLS', dropped: false, message: (host) => `the TLS certificate of ${host} is not trusted (${detail.split('\n')[0]}); Quire does not connect past certificate errors` };
  }
  const known = codes.find((c) => NETWORK_WORDS[c]);
  if (known === 'ETIMEDOUT' || known === 'UND_ERR_CONNECT_TIMEOUT') return { code: 'REMOTE_TIMEOUT', dropped: false, message: (host) => `${host} did not answer in time (${NETWORK_WORDS[known]})` };
  const dropped = known === 'ECONNRESET' || known === 'EPIPE' || known === 'UND_ERR_SOCKET' || (!known && /terminated|other side closed/i.test(texts.join(' ')));
  const words = known ? NETWORK_WORDS[known] : dropped ? 'the connection was dropped' : 'the request failed';
  return { code: 'REMOTE_UNREACHABLE', dropped, message: (host) => `cannot reach ${host}: ${words}` };
}
