// The self-check on a remote engine's model: the same haystacks, facts, questions and scoring as the local run
// (niah.ts), sent through the server's chat endpoint. Sizes come from the server's own token counts: the model's
// tokenizer is on the server, so a haystack is grown to a target length by its measured tokens per sentence.
import { fillerSentences } from '../../../models/passkey-text.ts';
import type { ChatMessage } from '../../../models/chat-template.ts';
import { QuireError } from '../../common/errors.ts';
import { mulberry32 } from '../../common/random.ts';
import type { OpenAiClient } from '../remote/openai-client.ts';
import { haystackMessages, type Insert } from '../runtime/haystack.ts';
import { seedOf, type NiahCell, type NiahResult } from './niah.ts';
import { makeSample, MAX_NEW_TOKENS, scoreAnswer } from './tasks.ts';

// A haystack is re-measured at most this many times while it is fitted to its length.
const FIT_ROUNDS = 6;

export interface RemoteNiahOptions {
  client: OpenAiClient;
  model: string;
  // The server's context for the model: no length may exceed it.
  context: number;
  count(messages: ChatMessage[]): Promise<number>;
  lengths: readonly number[];
  depths: readonly number[];
  samples?: number;
  seed?: number;
  signal?: AbortSignal;
  onCell?: (cell: NiahCell) => void;
}

// The facts go before the sentence at their depth percent of the haystack.
function haystack(sentences: readonly string[], inserts: readonly Insert[]): string {
  const items = [...sentences];
  const placed = inserts.map((ins, i) => ({ ins, i, at: Math.round((ins.depth / 100) * sentences.length) })).sort((a, b) => b.at - a.at || b.i - a.i);
  for (const { ins, at } of placed) items.splice(at, 0, ins.text);
  return items.join(' ');
}

export async function runRemoteNiah(options: RemoteNiahOptions): Promise<NiahResult> {
  const { client, model, context } = options;
  const lengths = [...new Set(options.lengths)];
  const depths = [...new Set(options.depths)];
  const samples = options.samples ?? 1;
  const seed = options.seed ?? 0;
  const maxTokens = MAX_NEW_TOKENS.niah;
  if (Math.max(...lengths) > context) throw new QuireError('DOES_NOT_FIT', `length ${Math.max(...lengths)} exceeds the ${context}-token context of ${model} on ${client.host}`);
  const cells: NiahCell[] = [];
  for (const length of lengths) {
    for (const depth of depths) {
      let hits = 0;
      let seconds = 0;
      for (let s = 0; s < samples; s++) {
        const sample = makeSample('niah', mulberry32(seedOf(seed, s, length, depth * 1000)), depth);
        const random = mulberry32(seedOf(seed, s));
        const sentences: string[] = [];
        const messagesWith = (n: number) => {
          while (sentences.length < n) sentences.push(...fillerSentences(random, 8));
          return haystackMessages(haystack(sentences.slice(0, n), sample.inserts), sample.question);
        };
        // Grown by the measured tokens per sentence until the prompt and the answer nearly fill the length,
        // then shrunk until they fit.
        const target = length - maxTokens;
        let n = 64;
        let tokens = await options.count(messagesWith(n));
        const proportional = () => Math.max(1, Math.floor((n * target) / tokens));
        for (let round = 0; round < FIT_ROUNDS && !(tokens <= target && proportional() <= n + 1); round++) {
          n = proportional();
          tokens = await options.count(messagesWith(n));
        }
        while (tokens > target) {
          if (n === 1) throw new QuireError('INVALID_INPUT', `a ${length}-token prompt is too short for the question and its facts`);
          n = Math.min(n - 1, proportional());
          tokens = await options.count(messagesWith(n));
        }
        const messages = messagesWith(n);
        const started = performance.now();
        const { text } = await client.chat({ model, messages, maxTokens, temperature: 0, ...(options.signal ? { signal: options.signal } : {}) }, { onText: () => undefined });
        seconds += (performance.now() - started) / 1000;
        if (scoreAnswer('niah', text, sample.expected)) hits++;
      }
      const cell = { length, depth, accuracy: hits / samples, samples, seconds };
      cells.push(cell);
      options.onCell?.(cell);
    }
  }
  return { cells, mean: cells.reduce((sum, c) => sum + c.accuracy, 0) / cells.length };
}
