// Tokenizing and chat-template rendering off the main thread. A whole book takes seconds to tokenize and a
// hostile template can loop or allocate without end, so both run in a worker thread with a heap cap and a
// time budget that grows with the text: the event loop keeps serving other clients, a runaway template costs
// one refused request (TIMEOUT / LIMIT_EXCEEDED) and a fresh worker, and counts of the same document under the
// same model are computed once however many callers ask at the same time.
import { Worker } from 'node:worker_threads';
import type { ChatMessage } from '../../../models/chat-template.ts';
import type { PromptStyle } from '../../../models/model-spec.ts';
import { fromEnvelope, QuireError, type ErrorEnvelope } from '../../common/errors.ts';
import { entryPoints } from '../entry-points.ts';
import type { PromptSource, Turn } from './prompt.ts';
import type { EncodedDocuments, encodeTail } from './prompt-encoding.ts';
import type { HaystackRequest } from './haystack.ts';

export const TEXT_WORKER_HEAP_MB = 2048;
// Time for any request, plus time per MB of text it carries (tokenizing runs at several MB/s).
// A first request also loads the tokenizer (a Llama-3 tokenizer.json is 9 MB: ~5 s on two busy cores).
const BASE_TIMEOUT_MS = 60_000;
const TIMEOUT_MS_PER_MB = 2_000;
// Text a haystack token stands for, roughly (English filler), for its time budget.
const HAYSTACK_BYTES_PER_TOKEN = 4;

export type TextOp =
  // A document set's prompt prefix, encoded once to be stored (prompt-encoding.ts).
  | { op: 'documents'; documents: PromptSource[]; style: PromptStyle }
  // A question's prompt after its documents' stored prefix.
  | { op: 'tail'; rest: string; turns: Turn[]; style: PromptStyle; stable: Uint32Array }
  | { op: 'encode'; messages: ChatMessage[]; addGenerationPrompt: boolean }
  // Raw text as the OpenAI-compatible API's completions and /tokenize take it (special tokens parsed).
  | { op: 'tokens'; text: string; addSpecial: boolean }
  | { op: 'decode'; tokens: number[] }
  // The model's tokenizer and template loaded ahead of the requests that need them.
  | { op: 'load' }
  // The self-check's prompt (haystack.ts).
  | ({ op: 'haystack' } & HaystackRequest);
export type TextRequest = TextOp & { id: number; dir: string };
export type TextReply =
  | { id: number; ok: true; tokens: Uint32Array | null; text?: string; encoded?: EncodedDocuments; tail?: ReturnType<typeof encodeTail> }
  | { id: number; ok: false; error: ErrorEnvelope };

interface Pending {
  request: TextRequest;
  resolve: (reply: Extract<TextReply, { ok: true }>) => void;
  reject: (error: QuireError) => void;
  timer: NodeJS.Timeout | null;
}

function textBytes(op: TextOp): number {
  if (op.op === 'documents') return op.documents.reduce((n, d) => n + ('utf8' in d ? d.utf8.length : d.text.length), 0);
  if (op.op === 'tokens') return op.text.length;
  if (op.op === 'decode') return op.tokens.length;
  if (op.op === 'encode') return op.messages.reduce((n, m) => n + m.content.length, 0);
  if (op.op === 'load') return 0;
  if (op.op === 'haystack') return op.length * HAYSTACK_BYTES_PER_TOKEN;
  return op.turns.reduce((n, t) => n + t.content.length, op.rest.length);
}

export interface TextServiceOptions {
  // The time budget of a request with no text (tests shorten it).
  baseTimeoutMs?: number;
}

export class TextService {
  #baseTimeoutMs: number;
  #worker: Worker | null = null;
  #next = 1;
  // In the worker's order: it handles one request at a time, so the first is the one running.
  #pending: Pending[] = [];
  #encoding = new Map<string, Promise<EncodedDocuments>>();
  // Closed: a request arriving late (a count started by an import just before) is refused, not given a new
  // worker that would hold the closing process open.
  #closed = false;

  constructor(options: TextServiceOptions = {}) {
    this.#baseTimeoutMs = options.baseTimeoutMs ?? BASE_TIMEOUT_MS;
  }

  // The prompt prefix of `documents` under the model's template and tokenizer (prompt-encoding.ts); `key`
  // names the document set, so that callers asking at the same time share one encode.
  encodeDocuments(dir: string, key: string, documents: PromptSource[], style: PromptStyle): Promise<EncodedDocuments> {
    const id = JSON.stringify([dir, key, style]);
    let encoded = this.#encoding.get(id);
    if (!encoded) {
      encoded = this.#request(dir, { op: 'documents', documents, style }).then((r) => r.encoded!);
      this.#encoding.set(id, encoded);
      // Only the caller keeps the result (prompt-ids.ts stores it); here just while callers wait for it.
      void encoded.finally(() => this.#encoding.delete(id)).catch(() => undefined);
    }
    return encoded;
  }

  async encodeTail(dir: string, rest: string, turns: Turn[], style: PromptStyle, stable: Uint32Array): Promise<ReturnType<typeof encodeTail>> {
    return (await this.#request(dir, { op: 'tail', rest, turns, style, stable })).tail!;
  }

  async encode(dir: string, messages: ChatMessage[], addGenerationPrompt: boolean): Promise<Uint32Array> {
    return (await this.#request(dir, { op: 'encode', messages, addGenerationPrompt })).tokens!;
  }

  // `addSpecial` adds the model's BOS, as Hugging Face tokenizers' add_special_tokens does.
  async tokens(dir: string, text: string, addSpecial: boolean): Promise<Uint32Array> {
    return (await this.#request(dir, { op: 'tokens', text, addSpecial })).tokens!;
  }

  // Special tokens are kept, as Hugging Face's decode does by default.
  async decode(dir: string, tokens: number[]): Promise<string> {
    return (await this.#request(dir, { op: 'decode', tokens })).text!;
  }

  async haystack(dir: string, request: HaystackRequest): Promise<Uint32Array> {
    return (await this.#request(dir, { op: 'haystack', ...request })).tokens!;
  }

  // Starts loading the model's tokenizer now (a Llama-3 one takes most of a second), so that a document being
  // parsed meanwhile is counted as soon as it is stored. Resolves once it is loaded.
  async warm(dir: string): Promise<void> {
    await this.#request(dir, { op: 'load' });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    // Their time budgets too: a running request's timer would hold a closing process open until it ran out.
    for (const p of this.#pending.splice(0)) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new QuireError('CANCELLED', 'closing'));
    }
    await worker?.terminate();
  }

  #request(dir: string, op: TextOp): Promise<Extract<TextReply, { ok: true }>> {
    if (this.#closed) return Promise.reject(new QuireError('CANCELLED', 'closing'));
    return new Promise((resolve, reject) => {
      const pending: Pending = { request: { ...op, id: this.#next++, dir }, resolve, reject, timer: null };
      this.#pending.push(pending);
      this.#send(pending);
    });
  }

  #send(pending: Pending): void {
    const worker = this.#ensureWorker();
    // Held while it owes an answer (a CLI run must not end before it), let go when idle.
    worker.ref();
    worker.postMessage(pending.request);
    if (this.#pending[0] === pending) this.#arm(pending);
  }

  // The budget runs from when the worker starts on a request, not from when it was queued.
  #arm(pending: Pending): void {
    const budget = this.#baseTimeoutMs + (textBytes(pending.request) / 1e6) * TIMEOUT_MS_PER_MB;
    pending.timer = setTimeout(() => this.#fail(new QuireError('TIMEOUT', `tokenizing or the chat template took longer than ${Math.round(budget / 1000)} s`)), budget);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(entryPoints.textWorker, {
      execArgv: process.execArgv.filter((arg) => !arg.startsWith('--input-type')),
      resourceLimits: { maxOldGenerationSizeMb: TEXT_WORKER_HEAP_MB, maxYoungGenerationSizeMb: 64 },
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    worker.on('message', (reply: TextReply) => {
      const [first] = this.#pending;
      if (!first || first.request.id !== reply.id) return;
      this.#pending.shift();
      if (first.timer) clearTimeout(first.timer);
      if (reply.ok) first.resolve(reply);
      else first.reject(fromEnvelope(reply.error));
      if (this.#pending[0]) this.#arm(this.#pending[0]);
      else worker.unref();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      this.#fail(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new QuireError('LIMIT_EXCEEDED', `tokenizing or the chat template needed more than ${TEXT_WORKER_HEAP_MB} MB of memory`)
          : new QuireError('INTERNAL', `the tokenizer stopped: ${error.message.split('\n')[0]}`),
      );
    });
    worker.on('exit', () => {
      if (this.#worker === worker && this.#pending.length) this.#fail(new QuireError('INTERNAL', 'the tokenizer exited'));
    });
    this.#worker = worker;
    return worker;
  }

  // The running request failed the worker: refuse it, start a fresh worker and send it the others again.
  #fail(error: QuireError): void {
    const worker = this.#worker;
    this.#worker = null;
    void worker?.terminate();
    const [culprit, ...rest] = this.#pending;
    this.#pending = [];
    if (culprit) {
      if (culprit.timer) clearTimeout(culprit.timer);
      culprit.reject(error);
    }
    for (const p of rest) {
      this.#pending.push(p);
      this.#send(p);
    }
  }
}
