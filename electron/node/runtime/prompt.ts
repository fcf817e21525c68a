import type { ChatMessage } from '../../../models/chat-template.ts';
import type { PromptStyle } from '../../../models/model-spec.ts';
import type { Utf8Document } from '../../common/utf8-document.ts';

// Prompt layout: the documents come first, in the first user turn, and the conversation follows. Every
// question of a conversation therefore starts with the same tokens — the documents — whose KV cache is
// computed once, saved as a snapshot, and reused for each follow-up and after a restart.

export const QUIRE_INSTRUCTIONS = [
  'You are Quire, an analyst who answers questions about the documents the user provides.',
  'Answer only from the documents. Support each point with a short verbatim quote in double quotes, copied exactly',
  'from the document, and say where it is (page, chapter or time). If the documents do not answer the question, say so.',
].join(' ');

export interface PromptDocument {
  title: string;
  format: string;
  text: string;
}

// A document to encode: a document just imported comes as its UTF-8 bytes, decoded where it is tokenized (the
// text worker), never on the app's main thread.
export type PromptSource = PromptDocument | Pick<Utf8Document, 'title' | 'format' | 'utf8'>;

export function promptDocument(source: PromptSource): PromptDocument {
  return 'utf8' in source ? { title: source.title, format: source.format, text: new TextDecoder().decode(source.utf8) } : source;
}

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

export const QUESTION_LABEL = 'Question:';

export function documentsBlock(documents: readonly PromptDocument[]): string {
  return documents
    .map((d, i) => `<document index="${i + 1}" title="${d.title.replace(/"/g, "'")}" format="${d.format}">\n${d.text}\n</document>`)
    .join('\n\n');
}

// The opening user turn's text before the first question: the `instructions` style (instruct models) gets
// titled document blocks and a question label, the `bare` style (quire-nano was trained on "document text, blank
// line, question" with no system prompt) exactly that. Every question about the same documents starts with it.
export function openingText(documents: readonly PromptDocument[], style: PromptStyle): string {
  return style === 'instructions' ? `${documentsBlock(documents)}\n\n${QUESTION_LABEL} ` : `${documents.map((d) => d.text).join('\n\n')}\n\n`;
}

// Which message holds the opening text: after the instructions where the style has them.
export function openingIndex(style: PromptStyle): number {
  return style === 'instructions' ? 1 : 0;
}

// `turns` alternate user/assistant and end with the user's new question; `opening` (openingText) comes before
// the first of them.
export function promptMessages(opening: string, turns: readonly Turn[], style: PromptStyle): ChatMessage[] {
  const [first, ...rest] = turns;
  const messages: ChatMessage[] = style === 'instructions' ? [{ role: 'system', content: QUIRE_INSTRUCTIONS }] : [];
  messages.push({ role: 'user', content: `${opening}${first.content}` });
  for (const turn of rest) messages.push({ role: turn.role, content: turn.content });
  return messages;
}

// The user's instructions (Settings → How answers are written, or the conversation's own) go with the question
// being asked, after it, so that the documents' prefix — and its saved cache — stays the same whatever they say.
// Models trained on bare document-and-question prompts (quire-nano) get none: their format has no place for them.
export function withInstructions(turns: Turn[], instructions: string, style: PromptStyle): Turn[] {
  if (!instructions || style !== 'instructions') return turns;
  const last = turns.at(-1)!;
  return [...turns.slice(0, -1), { ...last, content: `${last.content}\n\nInstructions: ${instructions}` }];
}

export function conversationMessages(documents: readonly PromptDocument[], turns: readonly Turn[], style: PromptStyle): ChatMessage[] {
  return promptMessages(openingText(documents, style), turns, style);
}

// The tokens every question shares: those of the conversation up to the question itself. Found as the
// common prefix of two renders that differ only in the question, so it is exact for any tokenizer and
// template (no guessing where BPE merges across the boundary). The reference the stored prompt ids
// (prompt-ids.ts) are tested against.
export function documentPrefix(encode: (messages: ChatMessage[]) => ArrayLike<number>, documents: readonly PromptDocument[], style: PromptStyle): number[] {
  const a = encode(conversationMessages(documents, [{ role: 'user', content: 'a' }], style));
  const b = encode(conversationMessages(documents, [{ role: 'user', content: 'b' }], style));
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return Array.from({ length: n }, (_, i) => a[i]);
}
