// Quire's engine behind an OpenAI-compatible HTTP API on loopback (`quire serve --api`), following vLLM's
// wire format so that OpenAI clients, vLLM clients and Quire's own remote-engine client all work against it:
// /v1/models, /v1/chat/completions, /v1/completions (both streamed as server-sent events), /tokenize,
// /detokenize and /health. Every request but /health must present the bearer key, every one a loopback
// Host; bodies are capped; every refusal is OpenAI's JSON error body with the matching HTTP status, never a stack trace.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { API_MAX_ANSWER_TOKENS } from '../../common/contract.ts';
import { QuireError, toEnvelope, type ErrorCode } from '../../common/errors.ts';
import { JsonBounds } from '../../common/json-bounds.ts';
import type { ChatMessage } from '../../../models/chat-template.ts';
import { JsonGrammar, type OutputFormat } from '../engine/json-grammar.ts';
import type { SamplingOptions } from '../engine/sampler.ts';
import type { TokenLogprob } from '../engine/token-choice.ts';
import { loopbackHost, sameSecret } from '../loopback.ts';
import type { ApiEngine, CompletionJob, CompletionResult } from './api-engine.ts';
import {
  ChatCompletionRequest,
  CompletionRequest,
  contextExceededMessage,
  DetokenizeRequest,
  errorBody,
  ResponseShape,
  TokenizeRequest,
  usage,
  type ModelCard,
  type Usage,
} from './openai-protocol.ts';

// A 4M-token prompt is ~16 MB of text; JSON escaping may add some.
export const API_MAX_BODY_BYTES = 32 * 1024 * 1024;
// OpenAI's requests nest a handful of levels (messages → content parts); a body nesting deeper is refused as
// it arrives, at the first byte past the limit, before anything is parsed.
export const API_MAX_BODY_DEPTH = 64;
// The longest list a request legitimately holds is a prompt of token ids as long as the largest context
// (4,194,304 tokens); a body listing more items (`[1,1,1,…]`) is refused as it arrives, so that JSON.parse never
// takes longer than on the largest legitimate body.
export const API_MAX_BODY_ITEMS = 4_194_304 + 65_536;

export interface ApiServerOptions {
  port: number;
  key: string;
  engine: ApiEngine;
  maxBodyBytes?: number;
  // The cap on answer length (default API_MAX_ANSWER_TOKENS; `quire serve --api --max-tokens N`).
  maxAnswerTokens?: number;
}

export interface ApiServer {
  // http://127.0.0.1:PORT/v1
  baseUrl: string;
  port: number;
  // A new cap applies from the next request; answers under way keep theirs.
  setMaxAnswerTokens(tokens: number): void;
  close(): Promise<void>;
}

// A refusal with its HTTP status and OpenAI error type; `code` is OpenAI's code where it has one.
class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  constructor(status: number, message: string, type: string, code: string | null, param: string | null = null) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }
}

const invalid = (message: string, code: string | null = 'INVALID_INPUT', param: string | null = null) => new HttpError(400, message, 'invalid_request_error', code, param);

// Quire's error codes as HTTP statuses (anything else is the server's fault: 500).
const STATUS: Partial<Record<ErrorCode, [number, string]>> = {
  INVALID_INPUT: [400, 'invalid_request_error'],
  DOES_NOT_FIT: [400, 'invalid_request_error'],
  NOT_FOUND: [404, 'not_found_error'],
  TOO_LARGE: [413, 'invalid_request_error'],
  LIMIT_EXCEEDED: [413, 'invalid_request_error'],
  BUSY: [429, 'rate_limit_error'],
  TIMEOUT: [504, 'server_error'],
};

function httpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const { code, message } = toEnvelope(error);
  const [status, type] = STATUS[code] ?? [500, 'server_error'];
  return new HttpError(status, message.split('\n')[0], type, code);
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const served: Served = {
    engine: options.engine,
    key: options.key,
    maxBody: options.maxBodyBytes ?? API_MAX_BODY_BYTES,
    maxAnswerTokens: options.maxAnswerTokens ?? API_MAX_ANSWER_TOKENS,
    port: 0,
  };
  const server = createServer((req, res) => {
    route(served, req, res).catch((error) => {
      drain(req, 2 * served.maxBody);
      fail(res, httpError(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  served.port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${served.port}/v1`,
    port: served.port,
    setMaxAnswerTokens: (tokens) => void (served.maxAnswerTokens = tokens),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// What every request is served with: the engine, the key, the limits, and the port this server listens on.
interface Served {
  engine: ApiEngine;
  key: string;
  maxBody: number;
  maxAnswerTokens: number;
  port: number;
}

type Route = (served: Served, req: IncomingMessage, res: ServerResponse) => Promise<void>;

const ROUTES: Record<string, Route> = {
  'GET /v1/models': async ({ engine }, _req, res) => send(res, 200, { object: 'list', data: [modelCard(engine)] }),
  'POST /v1/chat/completions': (served, req, res) => completion(served, req, res, true),
  'POST /v1/completions': (served, req, res) => completion(served, req, res, false),
  'POST /tokenize': async ({ engine, maxBody }, req, res) => {
    const request = await body(req, TokenizeRequest, maxBody);
    checkModel(engine, request.model);
    const tokens =
      'messages' in request
        ? await engine.chatTokens(chatMessages(request.messages), request.add_generation_prompt ?? true)
        : await engine.textTokens(request.prompt, request.add_special_tokens ?? true);
    send(res, 200, { count: tokens.length, max_model_len: engine.context(), tokens });
  },
  'POST /detokenize': async ({ engine, maxBody }, req, res) => {
    const request = await body(req, DetokenizeRequest, maxBody);
    checkModel(engine, request.model);
    send(res, 200, { prompt: await engine.detokenize(checkIds(request.tokens, engine.vocabSize(), 'tokens')) });
  },
};

async function route(served: Served, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!loopbackHost(req.headers.host, served.port)) throw new HttpError(421, 'this server answers only at 127.0.0.1 or localhost on its own port', 'invalid_request_error', 'FORBIDDEN');
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  // A liveness probe (vLLM's and Kubernetes' /health) needs no key: it says only that the server answers.
  if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return send(res, 200, { status: 'ok' });
  const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  if (!sameSecret(auth?.[1], served.key)) {
    throw new HttpError(401, 'missing or wrong API key: send the key `quire serve --api` printed as "Authorization: Bearer KEY"', 'invalid_request_error', 'invalid_api_key');
  }
  const handler = ROUTES[`${req.method} ${path}`];
  if (handler) return handler(served, req, res);
  const retrieve = /^\/v1\/models\/(.+)$/.exec(path);
  if (retrieve && req.method === 'GET') return send(res, 200, modelCard(served.engine, decodePath(retrieve[1])));
  const known = Object.keys(ROUTES).some((r) => r.endsWith(` ${path}`));
  throw known
    ? new HttpError(405, `${req.method} is not allowed on ${path}`, 'invalid_request_error', 'USAGE')
    : new HttpError(404, `no route ${path}`, 'not_found_error', 'NOT_FOUND');
}

function modelCard(engine: ApiEngine, id?: string): ModelCard {
  const model = engine.model();
  if (id !== undefined && id !== model.id) throw modelMissing(id);
  return { id: model.id, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'quire', root: model.id, parent: null, max_model_len: engine.context(model), prompt_style: model.promptStyle };
}

// A request naming another model is refused as vLLM does; one naming none gets the served model.
function checkModel(engine: ApiEngine, name: string | null | undefined): string {
  const id = engine.model().id;
  if (name && name !== id) throw modelMissing(name);
  return id;
}

// The body, read up to the size, depth and item limits as it arrives, then parsed and checked against `schema`.
async function body<S extends z.ZodType>(req: IncomingMessage, schema: S, maxBody: number): Promise<z.infer<S>> {
  const raw = await readBody(req, maxBody);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw invalid(`the request body is not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  const result = schema.safeParse(parsed);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    // OpenAI's words for a field it does not know, which clients match.
    const param = [...issue.path, issue.keys[0]].join('.');
    throw invalid(`Unrecognized request argument supplied: ${param} (Quire's API does not take it; docs/api.md lists the fields it does)`, 'INVALID_INPUT', param);
  }
  const param = issue.path.join('.') || null;
  // A refinement's message is a sentence naming its field ("n > 1 is not supported: …"); the schema's own
  // messages ("expected number") need the field in front.
  throw invalid(issue.code === 'custom' || !param ? issue.message : `${param}: ${issue.message}`, 'INVALID_INPUT', param);
}

function readBody(req: IncomingMessage, maxBody: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBody) throw tooLarge(maxBody);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const bounds = new JsonBounds(API_MAX_BODY_DEPTH, API_MAX_BODY_ITEMS);
    let size = 0;
    const refuse = (error: HttpError) => {
      req.off('data', onData);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) refuse(tooLarge(maxBody));
      else if (!bounds.feed(chunk)) {
        refuse(invalid(bounds.exceeded === 'depth' ? `the request body nests deeper than ${API_MAX_BODY_DEPTH} levels` : `the request body lists more than ${API_MAX_BODY_ITEMS} items`));
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(maxBody: number): HttpError {
  return new HttpError(413, `the request body is larger than ${maxBody} bytes`, 'invalid_request_error', 'TOO_LARGE');
}

type AnyCompletion = ChatCompletionRequest | CompletionRequest;

// A completion request made ready for the engine: its prompt's tokens, the answer's length and what it asks of
// each token. Everything refusable is refused here, before the request waits its turn.
interface CompletionPlan {
  modelId: string;
  prompt: number[];
  maxTokens: number;
  format: OutputFormat | null;
  logprobs: number | null;
}

async function completionPlan(served: Served, request: AnyCompletion, chat: boolean): Promise<CompletionPlan> {
  const { engine } = served;
  const modelId = checkModel(engine, request.model);
  let prompt: number[];
  if ('messages' in request) {
    prompt = await engine.chatTokens(chatMessages(request.messages), request.add_generation_prompt ?? true);
  } else if (typeof request.prompt === 'string') {
    prompt = await engine.textTokens(request.prompt, true);
  } else {
    prompt = checkIds(request.prompt, engine.vocabSize(), 'prompt');
  }
  const param = chat ? 'messages' : 'prompt';
  if (prompt.length === 0) throw invalid('the prompt is empty', 'INVALID_INPUT', param);
  const context = engine.context();
  const asked = ('max_completion_tokens' in request ? request.max_completion_tokens : null) ?? request.max_tokens ?? null;
  // The server's cap applies whatever the request asks (or when it asks nothing): an answer it cuts ends with
  // finish_reason "length", as one cut by max_tokens does.
  const maxTokens = Math.min(asked ?? context - prompt.length, served.maxAnswerTokens);
  if (maxTokens < 1 || prompt.length + maxTokens > context) {
    throw invalid(contextExceededMessage(context, prompt.length, asked === null ? 0 : maxTokens), 'context_length_exceeded', param);
  }
  return { modelId, prompt, maxTokens, format: formatOf(request), logprobs: logprobsOf(request) };
}

async function completion(served: Served, req: IncomingMessage, res: ServerResponse, chat: boolean): Promise<void> {
  const controller = new AbortController();
  // The client went away (closed the connection before the answer ended): the engine stops now, or the
  // request never reaches it when that happens while the prompt is tokenized or waits its turn.
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const request = chat ? await body(req, ChatCompletionRequest, served.maxBody) : await body(req, CompletionRequest, served.maxBody);
  const plan = await completionPlan(served, request, chat);
  const reply = new CompletionReply(res, new ResponseShape(chat, plan.modelId, randomBytes(12).toString('hex')), request, plan.logprobs !== null);
  try {
    await served.engine.complete(
      {
        prompt: plan.prompt,
        maxTokens: plan.maxTokens,
        sampling: samplingOf(request, served.engine),
        stop: request.stop === undefined || request.stop === null ? [] : [request.stop].flat(),
        format: plan.format,
        logprobs: plan.logprobs,
        signal: controller.signal,
        ...reply.listeners(),
      },
      (result) => reply.finish(result, usage(plan.prompt.length, result.completionTokens, result.cachedTokens)),
    );
  } catch (error) {
    if (controller.signal.aborted) return;
    reply.fail(error);
  }
}

// One completion's answer on the wire: whole JSON, or server-sent events as the engine produces them.
class CompletionReply {
  readonly #res: ServerResponse;
  readonly #shape: ResponseShape;
  readonly #stream: boolean;
  readonly #includeUsage: boolean;
  readonly #logprobs: boolean;
  #streaming = false;
  // A stream's pieces carry the entries of the tokens they complete.
  #pending: TokenLogprob[] = [];

  constructor(res: ServerResponse, shape: ResponseShape, request: AnyCompletion, logprobs: boolean) {
    this.#res = res;
    this.#shape = shape;
    this.#stream = request.stream === true;
    this.#includeUsage = this.#stream && request.stream_options?.include_usage === true;
    this.#logprobs = logprobs;
  }

  // What the engine streams to, when the client asked for a stream.
  listeners(): Pick<CompletionJob, 'onPrefilled' | 'onText' | 'onLogprob'> {
    if (!this.#stream) return {};
    return {
      onPrefilled: () => this.#start(),
      onText: (piece) => this.#event(this.#shape.piece(piece, this.#taken())),
      ...(this.#logprobs ? { onLogprob: (entry: TokenLogprob) => void this.#pending.push(entry) } : {}),
    };
  }

  finish(result: CompletionResult, u: Usage): void {
    if (!this.#stream) return send(this.#res, 200, this.#shape.whole(result.text, result.finishReason, u, result.logprobs));
    this.#start();
    // Tokens whose text never went out (cut by a stop string) are listed with the finish.
    const rest = this.#taken();
    this.#event(this.#shape.finish(result.finishReason, rest && rest.length > 0 ? rest : null));
    if (this.#includeUsage) this.#event(this.#shape.usageChunk(u));
    this.#res.end('data: [DONE]\n\n');
  }

  // Before the stream began the error is the response; after, the status is sent and the error goes in the
  // stream, as vLLM does.
  fail(error: unknown): void {
    if (!this.#streaming) throw error;
    const e = httpError(error);
    this.#res.end(`data: ${JSON.stringify(errorBody(e.message, e.type, e.code, e.param))}\n\ndata: [DONE]\n\n`);
  }

  #taken(): TokenLogprob[] | null {
    if (!this.#logprobs) return null;
    const entries = this.#pending;
    this.#pending = [];
    return entries;
  }

  #start(): void {
    if (this.#streaming) return;
    this.#streaming = true;
    this.#res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
    const opening = this.#shape.opening();
    if (opening) this.#event(opening);
  }

  #event(data: object): void {
    const chunk = this.#includeUsage && 'choices' in data && (data.choices as unknown[]).length ? { ...data, usage: null } : data;
    this.#res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
}

function decodePath(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid('the path is not valid percent-encoding');
  }
}

function modelMissing(name: string): HttpError {
  return new HttpError(404, `The model \`${name.slice(0, 200)}\` does not exist.`, 'not_found_error', 'model_not_found', 'model');
}

function send(res: ServerResponse, status: number, data: object): void {
  const text = JSON.stringify(data);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' }).end(text);
}

// How long a client refused for a full queue should wait before trying again (the openai clients honour it).
export const RETRY_AFTER_SECONDS = 1;

function fail(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.status === 429) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  send(res, error.status, errorBody(error.message, error.type, error.code, error.param));
}

// A refused request's body may still be arriving: it is read and dropped, up to `cap` bytes, so the client
// finishes sending and reads the answer (closing on it mid-upload would reach it as a reset, not an error).
// Past the cap the connection is cut.
function drain(req: IncomingMessage, cap: number): void {
  if (req.complete) return;
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap) req.destroy();
  });
  req.resume();
}

function chatMessages(messages: ChatCompletionRequest['messages']): ChatMessage[] {
  return messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join(''),
  }));
}

function checkIds(ids: number[], vocabSize: number, param: string): number[] {
  const bad = ids.find((id) => id >= vocabSize);
  if (bad !== undefined) throw invalid(`token id ${bad} is outside the model's vocabulary of ${vocabSize}`, 'INVALID_INPUT', param);
  return ids;
}

// response_format as the engine's output format, its schema checked here so that a keyword the grammar cannot
// enforce is a 400 naming it, before the request waits its turn.
function formatOf(request: AnyCompletion): OutputFormat | null {
  const wanted = request.response_format;
  if (!wanted || wanted.type === 'text') return null;
  const format: OutputFormat = wanted.type === 'json_object' ? { type: 'json_object' } : { type: 'json_schema', schema: wanted.json_schema.schema ?? {} };
  try {
    JsonGrammar.of(format);
  } catch (error) {
    throw invalid(toEnvelope(error).message, 'INVALID_INPUT', 'response_format');
  }
  return format;
}

// How many alternatives each token's entry lists, or null for no logprobs: chat's `logprobs: true` with
// `top_logprobs`, or the legacy completion's `logprobs: N`.
function logprobsOf(request: AnyCompletion): number | null {
  if (!('messages' in request)) return request.logprobs ?? null;
  if (request.logprobs === true) return request.top_logprobs ?? 0;
  if (request.top_logprobs) throw invalid('top_logprobs needs logprobs: true', 'INVALID_INPUT', 'top_logprobs');
  return null;
}

// OpenAI's sampling fields over the model's own defaults (its generation config); temperature 0 is greedy.
function samplingOf(request: AnyCompletion, engine: ApiEngine): SamplingOptions {
  const defaults = engine.model().generation;
  const temperature = request.temperature ?? (defaults.greedy ? 0 : defaults.temperature);
  if (temperature === 0) return { greedy: true };
  return {
    temperature,
    topP: request.top_p ?? defaults.topP,
    ...(request.top_k && request.top_k > 0 ? { topK: request.top_k } : {}),
    ...(request.repetition_penalty ? { repetitionPenalty: request.repetition_penalty } : {}),
    ...(request.seed !== undefined && request.seed !== null ? { seed: request.seed } : {}),
  };
}
