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
    // The template's own markup first, with placeholders for the messages: a template that writes far more
    // than any chat format needs is refused before the real (document-sized) render.
    const marked = this.render(
      messages.map((m, i) => ({ ...m, content: `${OPEN}${i}${CLOSE}` })),
      options,
    );
    if (marked.length > TEMPLATE_MARKUP_LIMIT) {
      throw new QuireError('LIMIT_EXCEEDED', `the chat template writes ${(marked.length / 1e6).toFixed(1)} MB of its own text for ${messages.length} messages (at most ${TEMPLATE_MARKUP_LIMIT / 1e6} MB)`);
    }
    const expected = this.render(messages, options);
    const pieces = marked.split(new RegExp(`${OPEN}(\\d+)${CLOSE}`));
    // Templates may trim message content (Llama-3.1 does); find which form reproduces the real render.
    const contentOf = [(s: string) => s, (s: string) => s.trim()].find(
      (form) => pieces.map((p, i) => (i % 2 === 1 ? form(messages[Number(p)].content) : p)).join('') === expected,
    );
    if (!contentOf) throw new QuireError('UNSUPPORTED_MODEL', 'chat template transforms message text in a way Quire cannot tokenize safely');
    const parts = pieces.map((p, i) =>
      i % 2 === 1
        ? tokenizer.encode(contentOf(messages[Number(p)].content), { parseSpecial: false })
        : tokenizer.encode(p),
    );
    const ids = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      ids.set(part, at);
      at += part.length;
    }
    return ids;
  }
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
