// The OpenAI-compatible wire format, as vLLM serves it (vllm/entrypoints/openai/protocol.py): the request
// bodies Quire accepts, checked field by field, and the response and stream-chunk shapes it sends. Fields
// the engine cannot honour (n > 1, tools, penalties other than 0, logit_bias) are refused by name, in a sentence,
// rather than silently ignored; fields that change nothing for a single local engine (user …) pass; a field
// neither knows is refused as OpenAI refuses it ("Unrecognized request argument supplied"), never dropped.
import { z } from 'zod';
import type { PromptStyle } from '../../../models/model-spec.ts';
import { MAX_TOP_LOGPROBS, type TokenLogprob } from '../engine/token-choice.ts';

const text = z.object({ type: z.literal('text'), text: z.string() });
const messageContent = z.union([z.string(), z.array(text)]);

export const ChatMessageIn = z
  .object({
    // `developer` is OpenAI's newer name for `system`.
    role: z.enum(['system', 'developer', 'user', 'assistant']),
    content: messageContent,
    name: z.string().optional(),
  })
  .strict();

const stop = z.union([z.string(), z.array(z.string()).max(16)]).nullish();
// A field the engine cannot honour: its default passes, any other value is refused in a sentence that names
// the field (the server sends a refinement's message as it is, not after the field's path); `value` checks
// only the type.
const refusedUnless = <T extends z.ZodType>(value: T, allowed: (v: z.infer<T>) => boolean, sentence: string) =>
  value.refine(allowed, { message: sentence }).nullish();
const single = (name: string) => refusedUnless(z.number().int(), (n) => n === 1, `${name} > 1 is not supported: Quire's engine returns one choice per request`);
// Penalties the sampler does not implement: 0 (their default) passes, anything else is refused.
const unsupportedPenalty = (name: string) => refusedUnless(z.number(), (n) => n === 0, `${name} is not supported: leave it out or send 0`);

// How many alternatives to list beside each chosen token.
const alternatives = (name: string) =>
  z
    .number()
    .int()
    .refine((n) => n >= 0 && n <= MAX_TOP_LOGPROBS, { message: `${name} must be from 0 to ${MAX_TOP_LOGPROBS}` })
    .nullish();

const sampling = {
  model: z.string().nullish(),
  max_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  // vLLM's extension; -1 or 0 means no limit there too.
  top_k: z.number().int().min(-1).nullish(),
  repetition_penalty: z.number().positive().nullish(),
  stop,
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: single('n'),
  presence_penalty: unsupportedPenalty('presence_penalty'),
  frequency_penalty: unsupportedPenalty('frequency_penalty'),
  logit_bias: refusedUnless(z.record(z.string(), z.number()), (bias) => Object.keys(bias).length === 0, 'logit_bias is not supported: leave it out or send {}'),
  // OpenAI's fields that change nothing here: who asks, a cache hint (Quire caches every prompt's prefix anyway),
  // tags, and the processing tier (there is one engine).
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  service_tier: z.string().nullish(),
  store: refusedUnless(z.boolean(), (v) => !v, 'store is not supported: Quire keeps no completions; leave it out or send false'),
  // OpenAI's on chat; vLLM takes it on completions too. A JSON schema's keywords are checked by the grammar
  // (engine/json-grammar.ts), which refuses by name those it cannot enforce.
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({
          name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'json_schema.name must be 1 to 64 letters, digits, _ or -'),
          description: z.string().nullish(),
          schema: z.record(z.string(), z.unknown()).nullish(),
          strict: z.boolean().nullish(),
        }),
      }),
    ])
    .nullish(),
};

const noTools = 'Quire answers from the documents, without function calling';

export const ChatCompletionRequest = z
  .object({
    ...sampling,
    messages: z.array(ChatMessageIn).min(1),
    max_completion_tokens: z.number().int().positive().nullish(),
    add_generation_prompt: z.boolean().nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: alternatives('top_logprobs'),
    tools: refusedUnless(z.array(z.unknown()), (tools) => tools.length === 0, `tools are not supported: ${noTools}`),
    // Without tools, choosing none (or leaving the choice to the model) is what happens anyway.
    tool_choice: refusedUnless(z.unknown(), (choice) => choice === 'none' || choice === 'auto', `tool_choice is not supported: ${noTools}; leave it out or send "none"`),
    parallel_tool_calls: z.boolean().nullish(),
  })
  .strict();
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export const CompletionRequest = z
  .object({
    ...sampling,
    // One prompt per request: a string or its token ids.
    prompt: z.union([z.string(), z.array(z.number().int().nonnegative()).min(1)]),
    echo: refusedUnless(z.boolean(), (v) => !v, 'echo is not supported: leave it out or send false'),
    // The legacy form: the count of alternatives alone.
    logprobs: alternatives('logprobs'),
    best_of: single('best_of'),
    suffix: refusedUnless(z.string(), () => false, 'suffix is not supported: Quire completes text only after the prompt'),
  })
  .strict();
export type CompletionRequest = z.infer<typeof CompletionRequest>;

export const TokenizeRequest = z.union([
  z.object({ model: z.string().nullish(), prompt: z.string(), add_special_tokens: z.boolean().nullish() }),
  z.object({ model: z.string().nullish(), messages: z.array(ChatMessageIn).min(1), add_generation_prompt: z.boolean().nullish() }),
]);

export const DetokenizeRequest = z.object({ model: z.string().nullish(), tokens: z.array(z.number().int().nonnegative()) });

export type FinishReason = 'stop' | 'length';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  // Prompt tokens not prefilled: they came from the engine's live KV cache or a saved snapshot.
  prompt_tokens_details: { cached_tokens: number };
}

export function usage(promptTokens: number, completionTokens: number, cachedTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
  };
}

export interface ModelCard {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'quire';
  root: string;
  parent: null;
  max_model_len: number;
  // Quire's extension: how the model wants its prompt laid out (model-spec.ts), so that a Quire using this
  // server as its remote engine asks exactly as it would locally.
  prompt_style: PromptStyle;
}

// OpenAI's error body; `code` is OpenAI's where it has one (invalid_api_key, context_length_exceeded,
// model_not_found), else Quire's stable error code.
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(message: string, type: string, code: string | null, param: string | null = null): ErrorBody {
  return { error: { message, type, param, code } };
}

// The words vLLM uses, which clients match.
export function contextExceededMessage(context: number, promptTokens: number, completionTokens: number): string {
  return (
    `This model's maximum context length is ${context} tokens. However, you requested ${promptTokens + completionTokens} tokens ` +
    `(${promptTokens} in the messages, ${completionTokens} in the completion). Please reduce the length of the messages or completion.`
  );
}

// OpenAI's logprobs object: chat's `{content: [...]}`, or the legacy completion's parallel lists, whose text
// offsets count characters of the completion from its start.
export type LogprobsBody =
  | { content: TokenLogprob[] }
  | { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[]; text_offset: number[] };

// The shapes of one response, streamed or whole: chat (`chat.completion[.chunk]`, deltas) or text
// completions (`text_completion`, text pieces).
export class ResponseShape {
  readonly id: string;
  readonly created = Math.floor(Date.now() / 1000);
  readonly chat: boolean;
  readonly model: string;
  // Characters of the completion already described by a legacy logprobs object (a stream's next offsets).
  #offset = 0;

  constructor(chat: boolean, model: string, id: string) {
    this.chat = chat;
    this.model = model;
    this.id = `${chat ? 'chatcmpl' : 'cmpl'}-${id}`;
  }

  #head(object: string) {
    return { id: this.id, object, created: this.created, model: this.model };
  }

  // The first chunk of a chat stream names the role; a text completion has none.
  opening(): object | null {
    return this.chat ? this.chunk({ role: 'assistant', content: '' }, null) : null;
  }

  // `logprobs`: the entries of the tokens this piece completes (null when not asked for).
  piece(text: string, logprobs: TokenLogprob[] | null = null): object {
    return this.chat ? this.chunk({ content: text }, null, logprobs) : this.chunk(text, null, logprobs);
  }

  finish(reason: FinishReason, logprobs: TokenLogprob[] | null = null): object {
    return this.chat ? this.chunk({}, reason, logprobs) : this.chunk('', reason, logprobs);
  }

  usageChunk(u: Usage): object {
    return { ...this.#head(this.chat ? 'chat.completion.chunk' : 'text_completion'), choices: [], usage: u };
  }

  chunk(delta: string | { role?: string; content?: string }, finish: FinishReason | null, logprobs: TokenLogprob[] | null = null): object {
    const lp = this.#logprobs(logprobs);
    const choice = typeof delta === 'string' ? { index: 0, text: delta, logprobs: lp, finish_reason: finish } : { index: 0, delta, logprobs: lp, finish_reason: finish };
    return { ...this.#head(this.chat ? 'chat.completion.chunk' : 'text_completion'), choices: [choice] };
  }

  whole(text: string, reason: FinishReason, u: Usage, logprobs: TokenLogprob[] | null = null): object {
    const lp = this.#logprobs(logprobs);
    const choice = this.chat
      ? { index: 0, message: { role: 'assistant', content: text }, logprobs: lp, finish_reason: reason }
      : { index: 0, text, logprobs: lp, finish_reason: reason };
    return { ...this.#head(this.chat ? 'chat.completion' : 'text_completion'), choices: [choice], usage: u };
  }

  #logprobs(entries: TokenLogprob[] | null): LogprobsBody | null {
    if (!entries) return null;
    if (this.chat) return { content: entries };
    const text_offset = entries.map((e) => {
      const at = this.#offset;
      this.#offset += e.token.length;
      return at;
    });
    return {
      tokens: entries.map((e) => e.token),
      token_logprobs: entries.map((e) => e.logprob),
      top_logprobs: entries.map((e) => Object.fromEntries(e.top_logprobs.map((t) => [t.token, t.logprob]))),
      text_offset,
    };
  }
}
