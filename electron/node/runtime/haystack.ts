// The NIAH prompt: generated filler sentences with facts hidden at depth percents, then the question, as the
// single user turn of the model's own chat template — the layout quire-nano trains on (models/passkey-text.ts:
// sentences joined by spaces, a blank line, the question). Sized in the model's tokens to a target length.
// The self-check's prompt layout, so it lives with the runtime: the text worker builds it off the main thread
// (the eval folder's runs and tasks build on it).
import type { ChatMessage, ChatTemplate } from '../../../models/chat-template.ts';
import { fillerSentences } from '../../../models/passkey-text.ts';
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { QuireError } from '../../common/errors.ts';
import { mulberry32 } from '../../common/random.ts';

// A sentence to hide at a depth percent of the haystack (0 = its start, 100 = its end).
export interface Insert {
  text: string;
  depth: number;
}

export interface PromptKit {
  tokenizer: Tokenizer;
  template: ChatTemplate;
}

export interface HaystackPrompt {
  tokens: number[];
  // Token range of the haystack (filler and facts) inside the prompt.
  documentStart: number;
  documentEnd: number;
  // Token index where each insert begins, in the order given.
  insertOffsets: number[];
}

// One sample's filler: a seeded stream of sentences with their token counts, extended on demand. Every length
// and depth of a sample reads the same stream, so consecutive prompts share long cached prefixes.
export class Filler {
  readonly sentences: string[] = [];
  readonly counts: number[] = [];
  #random: () => number;
  #tokenizer: Tokenizer;

  constructor(tokenizer: Tokenizer, seed: number) {
    this.#tokenizer = tokenizer;
    this.#random = mulberry32(seed);
  }

  // How many leading sentences fit in `budget` tokens (each counted with its separating space).
  take(budget: number): number {
    let used = 0;
    for (let i = 0; ; i++) {
      if (i === this.sentences.length) {
        for (const s of fillerSentences(this.#random, 8)) {
          this.sentences.push(s);
          this.counts.push(this.#tokenizer.encode(' ' + s).length);
        }
      }
      if (used + this.counts[i] > budget) return i;
      used += this.counts[i];
    }
  }
}

export function haystackMessages(document: string, question: string): ChatMessage[] {
  return [{ role: 'user', content: `${document}\n\n${question}` }];
}

// Inserts go between sentences, at the boundary whose token position is nearest their depth percent.
function placeInserts(filler: Filler, count: number, inserts: readonly Insert[]): { items: string[]; insertItems: number[] } {
  const sentences = filler.sentences.slice(0, count);
  const starts = [0];
  for (let i = 0; i < count; i++) starts.push(starts[i] + filler.counts[i]);
  const total = starts.at(-1)!;
  const slotOf = (depth: number) => {
    const target = (depth / 100) * total;
    let best = 0;
    for (let i = 1; i < starts.length; i++) if (Math.abs(starts[i] - target) < Math.abs(starts[best] - target)) best = i;
    return best;
  };
  const order = inserts.map((ins, i) => ({ i, slot: slotOf(ins.depth) })).sort((a, b) => a.slot - b.slot || a.i - b.i);
  const items: string[] = [];
  const insertItems: number[] = new Array(inserts.length);
  let next = 0;
  for (let slot = 0; slot <= sentences.length; slot++) {
    while (next < order.length && order[next].slot === slot) {
      insertItems[order[next].i] = items.length;
      items.push(inserts[order[next++].i].text);
    }
    if (slot < sentences.length) items.push(sentences[slot]);
  }
  return { items, insertItems };
}

// Token index holding each byte offset of the rendered prompt (the encoding reproduces the render byte for byte).
function tokenAtBytes(kit: PromptKit, tokens: ArrayLike<number>, byteOffsets: number[]): number[] {
  const out: number[] = [];
  let end = 0;
  const wanted = byteOffsets.map((b, i) => ({ b, i })).sort((x, y) => x.b - y.b);
  for (let t = 0; t < tokens.length && wanted.length; t++) {
    end += kit.tokenizer.tokenBytes(tokens[t]).length;
    while (wanted.length && wanted[0].b < end) out[wanted.shift()!.i] = t;
  }
  if (wanted.length) throw new QuireError('INTERNAL', 'haystack prompt tokens do not cover the rendered prompt');
  return out;
}

// A prompt of at most `length` tokens (short of it by less than a filler sentence) with the inserts at their depths.
export function buildHaystackPrompt(kit: PromptKit, filler: Filler, length: number, inserts: readonly Insert[], question: string): HaystackPrompt {
  const encode = (messages: ChatMessage[]) => kit.template.encode(kit.tokenizer, messages, { addGenerationPrompt: true });
  const factTokens = inserts.reduce((n, ins) => n + kit.tokenizer.encode(' ' + ins.text).length, 0);
  const overhead = encode(haystackMessages('x', question)).length - 1;
  let budget = length - overhead - factTokens;
  for (;;) {
    if (budget < 0) throw new QuireError('INVALID_INPUT', `a ${length}-token prompt is too short: the question, facts and chat markup take ${overhead + factTokens} tokens`);
    const { items, insertItems } = placeInserts(filler, filler.take(budget), inserts);
    const document = items.join(' ');
    const messages = haystackMessages(document, question);
    const tokens = encode(messages);
    // Token counts of separate sentences can differ slightly from the joined text's: shrink and retry.
    if (tokens.length > length) {
      budget -= tokens.length - length;
      continue;
    }
    const rendered = kit.template.render(messages, { addGenerationPrompt: true });
    const docChar = rendered.indexOf(document);
    const itemChar: number[] = [];
    for (let i = 0, at = docChar; i < items.length; at += items[i++].length + 1) itemChar.push(at);
    const bytes = (char: number) => Buffer.byteLength(rendered.slice(0, char));
    const [documentStart, documentLast, ...insertOffsets] = tokenAtBytes(kit, tokens, [
      bytes(docChar),
      bytes(docChar + document.length) - 1,
      ...insertItems.map((i) => bytes(itemChar[i])),
    ]);
    return { tokens: Array.from(tokens), documentStart, documentEnd: documentLast + 1, insertOffsets };
  }
}

// One haystack prompt as the text worker builds it: the seed of its sample's filler stream, its length, its facts
// and question.
export interface HaystackRequest {
  seed: number;
  length: number;
  inserts: Insert[];
  question: string;
}

// The filler last read, kept so that a grid's prompts (each reading its sample's one stream) tokenize its
// sentences once.
let lastFiller: { tokenizer: Tokenizer; seed: number; filler: Filler } | null = null;

export function haystackTokens(kit: PromptKit, request: HaystackRequest): Uint32Array {
  if (lastFiller?.tokenizer !== kit.tokenizer || lastFiller.seed !== request.seed) lastFiller = { tokenizer: kit.tokenizer, seed: request.seed, filler: new Filler(kit.tokenizer, request.seed) };
  return Uint32Array.from(buildHaystackPrompt(kit, lastFiller.filler, request.length, request.inserts, request.question).tokens);
}
