// A document set's prompt encoded once, and every question's prompt completed from it without encoding the
// documents again. The opening turn's text (prompt.ts openingText: the documents, then the question label) is
// encoded resumably (tokenizer.ts encodeResumable): its head — all but its last few characters — never changes
// whatever question follows, so it is stored; a question encodes only `rest` (those last characters) plus the
// question, and the template's markup around them. The result equals a full encode of the rendered
// conversation (test/unit/runtime/prompt-ids.test.ts proves it for every shipped template and the real
// Llama-3 one, at the boundary cases). Runs in the text worker.
import type { PromptStyle } from '../../../models/model-spec.ts';
import type { ContentForm } from '../../../models/chat-template.ts';
import type { ModelText } from './model-text.ts';
import { openingIndex, openingText, promptMessages, type PromptDocument, type Turn } from './prompt.ts';

export interface EncodedDocuments {
  // The tokens every question about these documents starts with (their count, shown everywhere).
  prefix: Uint32Array;
  // How many of them come before `rest` (the part a question encodes again).
  headLength: number;
  rest: string;
}

// The opening message's text from `rest` on, with the question, as the template writes it: a trimming template
// trims its end here (its start is in the head, trimmed when the head was encoded).
function restText(rest: string, question: string, form: ContentForm): string {
  const text = `${rest}${question}`;
  return form === 'trim' ? text.trimEnd() : text;
}

function around(text: ModelText, turns: readonly Turn[], style: PromptStyle) {
  return text.template.encodeAround(text.tokenizer, promptMessages('', turns, style), { addGenerationPrompt: true }, openingIndex(style));
}

function commonLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

export function encodeDocuments(text: ModelText, documents: readonly PromptDocument[], style: PromptStyle): EncodedDocuments {
  const { tokenizer } = text;
  // The prefix is what two questions that differ from their first character share.
  const probe = (q: string) => around(text, [{ role: 'user', content: q }], style);
  const { before, form } = probe('a');
  const opening = openingText(documents, style);
  const { ids, head, cut } = tokenizer.encodeResumable(form === 'trim' ? opening.trimStart() : opening);
  const rest = (form === 'trim' ? opening.trimStart() : opening).slice(cut);
  const encodeRest = (q: string) => tokenizer.encode(restText(rest, q, form), { parseSpecial: false });
  const stable = encodeRest('a').subarray(0, commonLength(encodeRest('a'), encodeRest('b')));
  const prefix = new Uint32Array(before.length + head + stable.length);
  prefix.set(before);
  prefix.set(ids.subarray(0, head), before.length);
  prefix.set(stable, before.length + head);
  return { prefix, headLength: before.length + head, rest };
}

// The tokens of a conversation's prompt after its documents' prefix. `stable` is the prefix's part after its
// head (the tokens of `rest` every question shares); null when this question's first characters merged with
// them (then `afterHead` holds every token after the head instead, and the prompt does not start with the prefix).
export function encodeTail(text: ModelText, rest: string, turns: readonly Turn[], style: PromptStyle, stable: Uint32Array): { tail: Uint32Array | null; afterHead: Uint32Array } {
  const { after, form } = around(text, turns, style);
  const content = text.tokenizer.encode(restText(rest, turns[0].content, form), { parseSpecial: false });
  const afterHead = new Uint32Array(content.length + after.length);
  afterHead.set(content);
  afterHead.set(after, content.length);
  if (commonLength(content, stable) < stable.length) return { tail: null, afterHead };
  return { tail: afterHead.slice(stable.length), afterHead };
}
