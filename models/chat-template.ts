import { Template } from '@huggingface/jinja';
import { QuireError } from '../electron/common/errors.ts';
import { LLAMA31_CHAT_TEMPLATE } from './llama31-chat-template.ts';
import type { Tokenizer, TokenizerConfigJson } from './tokenizer/tokenizer.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface RenderOptions {
  addGenerationPrompt?: boolean;
  // Extra template variables, e.g. date_string for Llama-3.1.
  variables?: Record<string, unknown>;
}

// Characters a template may add around the messages: Llama-3.1's adds about 200; a system prompt a few thousand.
export const TEMPLATE_MARKUP_LIMIT = 1_000_000;

// Private-use delimiters: trim-invariant and never produced by a template itself.
const OPEN = '\ue000';
const CLOSE = '\ue001';

// How a template writes message text: as given, or trimmed (Llama-3.1's does).
export type ContentForm = 'raw' | 'trim';
const FORMS: Record<ContentForm, (s: string) => string> = { raw: (s) => s, trim: (s) => s.trim() };

export class ChatTemplate {
  readonly source: string;
  #template: Template;
  #bosToken: string;
  #eosToken: string;

  constructor(source: string, tokens: { bosToken?: string; eosToken?: string } = {}) {
    this.source = source;
    try {
      this.#template = new Template(source);
    } catch (error) {
      throw new QuireError('UNSUPPORTED_MODEL', `chat template does not parse: ${firstLine(error)}`);
    }
    this.#bosToken = tokens.bosToken ?? '';
    this.#eosToken = tokens.eosToken ?? '';
  }

  render(messages: ChatMessage[], options: RenderOptions = {}): string {
    try {
      return this.#template.render({
        ...options.variables,
        messages,
        bos_token: this.#bosToken,
        eos_token: this.#eosToken,
        add_generation_prompt: options.addGenerationPrompt === true,
      });
    } catch (error) {
      throw new QuireError('INVALID_INPUT', `chat template: ${firstLine(error)}`);
    }
  }

  // Token ids of the rendered conversation where only the template's own markup may produce special
  // tokens: message text (a document, a question) that contains "<|eot_id|>" stays plain text and
  // cannot forge a turn boundary.
  encode(tokenizer: Tokenizer, messages: ChatMessage[], options: RenderOptions = {}): Uint32Array {
    const pieces = this.#markup(messages, options);
    const expected = this.render(messages, options);
    // Templates may trim message content (Llama-3.1 does); find which form reproduces the real render.
    const form = (['raw', 'trim'] as const).find(
      (f) => pieces.map((p, i) => (i % 2 === 1 ? FORMS[f](messages[Number(p)].content) : p)).join('') === expected,
    );
    if (!form) throw new QuireError('UNSUPPORTED_MODEL', 'chat template transforms message text in a way Quire cannot tokenize safely');
    return concatIds(pieces.map((p, i) => (i % 2 === 1 ? tokenizer.encode(FORMS[form](messages[Number(p)].content), { parseSpecial: false }) : tokenizer.encode(p))));
  }

  // The conversation's tokens around message `index`'s text, without that text: the markup and messages
  // before it, and all after it, with the form the template writes it in. A prompt whose document text is
  // stored already encoded is completed from these, so the book is neither rendered nor encoded again; the
  // form comes from a probe of the same messages with padded placeholders instead of the book-sized render.
  encodeAround(tokenizer: Tokenizer, messages: ChatMessage[], options: RenderOptions, index: number): { before: Uint32Array; after: Uint32Array; form: ContentForm } {
    const pieces = this.#markup(messages, options);
    const probe = this.render(
      messages.map((m, i) => ({ ...m, content: ` ${OPEN}${i}${CLOSE} ` })),
      options,
    );
    const form: ContentForm = probe.includes(` ${OPEN}${index}${CLOSE} `) ? 'raw' : 'trim';
    const at = pieces.findIndex((p, i) => i % 2 === 1 && Number(p) === index);
    if (at < 0 || (form === 'trim' && !probe.includes(`${OPEN}${index}${CLOSE}`))) {
      throw new QuireError('UNSUPPORTED_MODEL', 'chat template transforms message text in a way Quire cannot tokenize safely');
    }
    const encode = (p: string, i: number) => (i % 2 === 1 ? tokenizer.encode(FORMS[form](messages[Number(p)].content), { parseSpecial: false }) : tokenizer.encode(p));
    return { before: concatIds(pieces.slice(0, at).map(encode)), after: concatIds(pieces.slice(at + 1).map((p, i) => encode(p, at + 1 + i))), form };
  }

  // The render with a placeholder for each message's text, split into markup (even) and message indices (odd).
  // A template that writes far more than any chat format needs is refused before the real render.
  #markup(messages: ChatMessage[], options: RenderOptions): string[] {
    const marked = this.render(
      messages.map((m, i) => ({ ...m, content: `${OPEN}${i}${CLOSE}` })),
      options,
    );
    if (marked.length > TEMPLATE_MARKUP_LIMIT) {
      throw new QuireError('LIMIT_EXCEEDED', `the chat template writes ${(marked.length / 1e6).toFixed(1)} MB of its own text for ${messages.length} messages (at most ${TEMPLATE_MARKUP_LIMIT / 1e6} MB)`);
    }
    return marked.split(new RegExp(`${OPEN}(\\d+)${CLOSE}`));
  }
}

function concatIds(parts: Uint32Array[]): Uint32Array {
  const ids = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    ids.set(part, at);
    at += part.length;
  }
  return ids;
}

// The checkpoint's own template (a string, or the "default" of a named list); Llama-3.1's when the
// checkpoint has none, since every model Quire runs is Llama-3 family.
export function chatTemplateFromConfig(config: TokenizerConfigJson): ChatTemplate {
  const raw = config.chat_template;
  const source = typeof raw === 'string' ? raw : (raw?.find((t) => t.name === 'default')?.template ?? LLAMA31_CHAT_TEMPLATE);
  return new ChatTemplate(source, { bosToken: tokenText(config.bos_token), eosToken: tokenText(config.eos_token) });
}

function tokenText(ref: TokenizerConfigJson['bos_token']): string | undefined {
  return typeof ref === 'string' ? ref : (ref?.content ?? undefined);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
