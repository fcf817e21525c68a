// Quire's engine behind an OpenAI-compatible HTTP API on loopback (`quire serve --api`), following vLLM's
// wire format so that OpenAI clients, vLLM clients and Quire's own remote-engine client all work against it:
// /v1/models, /v1/chat/completions, /v1/completions (both streamed as server-sent events), /tokenize,
// /detokenize and /health. Every request but /health must present the bearer key, every one a loopback
// Host; bodies are capped; every refusal is OpenAI's JSON error body with the matching HTTP status, never a stack trace.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { QuireError, toEnvelope, type ErrorCode } from '../../common/errors.ts';
import { JsonBounds } from '../../common/json-bounds.ts';
import type { ChatMessage } from '../../../models/chat-template.ts';
import { JsonGrammar, type OutputFormat } from '../engine/json-grammar.ts';
import type { SamplingOptions } from '../engine/sampler.ts';
import type { TokenLogprob } from '../engine/token-choice.ts';
import { loopbackHost, sameSecret } from '../loopback.ts';
import type { ApiEngine } from './api-engine.ts';
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
}

export interface ApiServer {
  // http://127.0.0.1:PORT/v1
  baseUrl: string;
  port: number;
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
  let port = 0;
  const maxBody = options.maxBodyBytes ?? API_MAX_BODY_BYTES;
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      drain(req, 2 * maxBody);
      fail(res, httpError(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!loopbackHost(req.headers.host, port)) throw new HttpError(421, 'this server answers only at 127.0.0.1 or localhost on its own port', 'invalid_request_error', 'FORBIDDEN');
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    // A liveness probe (vLLM's and Kubernetes' /health) needs no key: it says only that the server answers.
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return send(res, 200, { status: 'ok' });
    const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (!sameSecret(auth?.[1], options.key)) {
      throw new HttpError(401, 'missing or wrong API key: send the key `quire serve --api` printed as "Authorization: Bearer KEY"', 'invalid_request_error', 'invalid_api_key');
    }
    const route = ROUTES[`${req.method} ${path}`];
    if (route) return route(req, res);
    const retrieve = /^\/v1\/models\/(.+)$/.exec(path);
    if (retrieve && req.method === 'GET') return send(res, 200, modelCard(decodePath(retrieve[1])));
    const known = Object.keys(ROUTES).some((r) => r.endsWith(` ${path}`));
    throw known
      ? new HttpError(405, `${req.method} is not allowed on ${path}`, 'invalid_request_error', 'USAGE')
      : new HttpError(404, `no route ${path}`, 'not_found_error', 'NOT_FOUND');
  }

  const { engine } = options;

  function modelCard(id?: string): ModelCard {
    const model = engine.model();
    if (id !== undefined && id !== model.id) throw modelMissing(id);
    return { id: model.id, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'quire', root: model.id, parent: null, max_model_len: engine.context(model), prompt_style: model.promptStyle };
  }

  // A request naming another model is refused as vLLM does; one naming none gets the served model.
  function checkModel(name: string | null | undefined): string {
    const id = engine.model().id;
    if (name && name !== id) throw modelMissing(name);
    return id;
  }

  async function body<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
    const declared = Number(req.headers['content-length']);
    if (declared > maxBody) throw tooLarge();
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const bounds = new JsonBounds(API_MAX_BODY_DEPTH, API_MAX_BODY_ITEMS);
      let size = 0;
      const refuse = (error: HttpError) => {
        req.off('data', onData);
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) refuse(tooLarge());
        else if (!bounds.feed(chunk)) {
          refuse(invalid(bounds.exceeded === 'depth' ? `the request body nests deeper than ${API_MAX_BODY_DEPTH} levels` : `the request body lists more than ${API_MAX_BODY_ITEMS} items`));
        }
        else chunks.push(chunk);
      };
      req.on('data', onData);
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw invalid(`the request body is not valid JSON (${(error as Error).message.split('\n')[0]})`);
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      const param = issue.path.join('.') || null;
      // A refinement's message is a sentence naming its field ("n > 1 is not supported: …"); the schema's own
      // messages ("expected number") need the field in front.
      throw invalid(issue.code === 'custom' || !param ? issue.message : `${param}: ${issue.message}`, 'INVALID_INPUT', param);
    }
    return result.data;
  }

  function tooLarge(): HttpError {
    return new HttpError(413, `the request body is larger than ${maxBody} bytes`, 'invalid_request_error', 'TOO_LARGE');
  }

  async function completion(req: IncomingMessage, res: ServerResponse, chat: boolean): Promise<void> {
    const controller = new AbortController();
    // The client went away (closed the connection before the answer ended): the engine stops now, or the
    // request never reaches it when that happens while the prompt is tokenized or waits its turn.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const request = chat ? await body(req, ChatCompletionRequest) : await body(req, CompletionRequest);
    const modelId = checkModel(request.model);
    let prompt: number[];
    if ('messages' in request) {
      prompt = await engine.chatTokens(chatMessages(request.messages), request.add_generation_prompt ?? true);
    } else if (typeof request.prompt === 'string') {
      prompt = await engine.textTokens(request.prompt, true);
    } else {
      prompt = checkIds(request.prompt, engine.vocabSize(), 'prompt');
    }
    if (prompt.length === 0) throw invalid('the prompt is empty', 'INVALID_INPUT', chat ? 'messages' : 'prompt');
    const context = engine.context();
    const asked = ('max_completion_tokens' in request ? request.max_completion_tokens : null) ?? request.max_tokens ?? null;
    const maxTokens = asked ?? context - prompt.length;
    if (maxTokens < 1 || prompt.length + maxTokens > context) {
      throw invalid(contextExceededMessage(context, prompt.length, asked ?? 0), 'context_length_exceeded', chat ? 'messages' : 'prompt');
    }
    const format = formatOf(request);
    const logprobs = logprobsOf(request);
    const shape = new ResponseShape(chat, modelId, randomBytes(12).toString('hex'));
    const stream = request.stream === true;
    const includeUsage = stream && request.stream_options?.include_usage === true;
    const event = (data: object) => res.write(`data: ${JSON.stringify(includeUsage && 'choices' in data && (data.choices as unknown[]).length ? { ...data, usage: null } : data)}\n\n`);
    let streaming = false;
    // A stream's pieces carry the entries of the tokens they complete.
    let pending: TokenLogprob[] = [];
    const taken = () => {
      if (logprobs === null) return null;
      const entries = pending;
      pending = [];
      return entries;
    };
    const startStream = () => {
      if (streaming) return;
      streaming = true;
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
      const opening = shape.opening();
      if (opening) event(opening);
    };
    try {
      await engine.complete(
        {
          prompt,
          maxTokens,
          sampling: samplingOf(request, engine),
          stop: request.stop === undefined || request.stop === null ? [] : [request.stop].flat(),
          format,
          logprobs,
          signal: controller.signal,
          ...(stream ? { onPrefilled: startStream, onText: (piece: string) => event(shape.piece(piece, taken())) } : {}),
          ...(stream && logprobs !== null ? { onLogprob: (entry: TokenLogprob) => pending.push(entry) } : {}),
        },
        (result) => {
          const u = usage(prompt.length, result.completionTokens, result.cachedTokens);
          if (!stream) return send(res, 200, shape.whole(result.text, result.finishReason, u, result.logprobs));
          startStream();
          // Tokens whose text never went out (cut by a stop string) are listed with the finish.
          const rest = taken();
          event(shape.finish(result.finishReason, rest && rest.length > 0 ? rest : null));
          if (includeUsage) event(shape.usageChunk(u));
          res.end('data: [DONE]\n\n');
        },
      );
    } catch (error) {
      if (controller.signal.aborted) return;
      // Once the stream has begun the status is sent: the error goes in the stream, as vLLM does.
      if (!streaming) throw error;
      const e = httpError(error);
      res.end(`data: ${JSON.stringify(errorBody(e.message, e.type, e.code, e.param))}\n\ndata: [DONE]\n\n`);
    }
  }

  const ROUTES: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    'GET /v1/models': async (_req, res) => send(res, 200, { object: 'list', data: [modelCard()] }),
    'POST /v1/chat/completions': (req, res) => completion(req, res, true),
    'POST /v1/completions': (req, res) => completion(req, res, false),
    'POST /tokenize': async (req, res) => {
      const request = await body(req, TokenizeRequest);
      checkModel(request.model);
      const tokens =
        'messages' in request
          ? await engine.chatTokens(chatMessages(request.messages), request.add_generation_prompt ?? true)
          : await engine.textTokens(request.prompt, request.add_special_tokens ?? true);
      send(res, 200, { count: tokens.length, max_model_len: engine.context(), tokens });
    },
    'POST /detokenize': async (req, res) => {
      const request = await body(req, DetokenizeRequest);
      checkModel(request.model);
      send(res, 200, { prompt: await engine.detokenize(checkIds(request.tokens, engine.vocabSize(), 'tokens')) });
    },
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
function formatOf(request: ChatCompletionRequest | CompletionRequest): OutputFormat | null {
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
function logprobsOf(request: ChatCompletionRequest | CompletionRequest): number | null {
  if (!('messages' in request)) return request.logprobs ?? null;
  if (request.logprobs === true) return request.top_logprobs ?? 0;
  if (request.top_logprobs) throw invalid('top_logprobs needs logprobs: true', 'INVALID_INPUT', 'top_logprobs');
  return null;
}

// OpenAI's sampling fields over the model's own defaults (its generation config); temperature 0 is greedy.
function samplingOf(request: ChatCompletionRequest | CompletionRequest, engine: ApiEngine): SamplingOptions {
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
