// Answers on a remote engine (an OpenAI-compatible server such as vLLM). The prompt is laid out exactly as the
// local path lays it out for the same model (prompt.ts, in the model's own style), so a model answers the same
// way local and remote, every question of a conversation starts with the same tokens, and the server's prefix
// cache serves them on follow-ups. The fit is checked against the server's own context before anything is
// sent; the documents are counted once per server, model and document set, so the question itself is the
// only upload of the documents.
import { createHash } from 'node:crypto';
import type { ConversationEngine, FitPlan, MessageStats, RemoteChoice, Settings } from '../../common/contract.ts';
import { formatTokens } from '../../common/format.ts';
import { QuireError } from '../../common/errors.ts';
import type { ChatMessage } from '../../../models/chat-template.ts';
import { answerRoom, type GenerationDefaults, type PromptStyle } from '../../../models/model-spec.ts';
import type { OpenAiClient, RemoteUsage } from '../remote/openai-client.ts';
import type { RemoteTokenCount } from '../remote/remote-tokenizer.ts';
import { conversationMessages, withInstructions, type PromptDocument, type Turn } from '../runtime/prompt.ts';
import type { AnswerSampling } from '../settings.ts';

// How often the estimated progress is sent while the server processes the prompt (it says nothing until its
// first token).
const PREFILL_TICK_MS = 250;
// An estimate never claims the work done: the bar stops short until the first token proves it.
const MAX_ESTIMATED_FRACTION = 0.95;
// A reading speed is measured only over this many tokens read or more: below it the time to the first token
// is the request's own overhead (a follow-up from the cache read 62,549 tokens/s).
export const MIN_MEASURED_TOKENS = 256;
// Document sets whose server counts are kept (a count of a 4M-token prompt is ~16 MB sent and minutes read).
const COUNTS_KEPT = 16;
const EMPTY_QUESTION: Turn[] = [{ role: 'user', content: '' }];
// A remote server's model answers greedily unless the user chose otherwise (its own defaults are not known here).
export const REMOTE_GENERATION: GenerationDefaults = { greedy: true, temperature: 0, topP: 1 };

// The remote engines the user added (remote/engines.ts) and their token counts (remote/remote-tokenizer.ts).
export interface RemoteEngines {
  client(engineId: string): OpenAiClient;
  count(client: OpenAiClient, model: string, messages: ChatMessage[], signal?: AbortSignal): Promise<RemoteTokenCount>;
  // Prompt tokens the server processed per second (those its cache did not serve, over the time to the first
  // token), per engine and model, kept across restarts: the last request's measure estimates the next one's
  // progress. 0 when never measured.
  speed(engineId: string, model: string): number;
  recordSpeed(engineId: string, model: string, tokensPerSecond: number): void;
  // The prompt style of a model the server does not describe, where this computer knows it (an installed model
  // of that name); 'instructions' otherwise.
  style?(model: string): PromptStyle | null;
  // The context the user stated for a model whose server reports none (Settings → Engines).
  statedContext?(engineId: string, model: string): number | null;
}

interface RemoteTarget {
  client: OpenAiClient;
  context: number | null;
  style: PromptStyle;
}

export interface RemoteProgress {
  phase: 'tokenizing' | 'prefill' | 'generating';
  done: number;
  total: number;
  tokensPerSecond: number;
  etaSeconds: number;
  elapsedSeconds?: number;
}

export interface RemoteAnswer {
  text: string;
  stats: MessageStats;
}

// A question as it is sent: its messages, their count and the room for the answer.
interface RemotePrompt {
  client: OpenAiClient;
  messages: ChatMessage[];
  tokens: number;
  maxTokens: number;
}

// What came back: the text (so far, when stopped), its pieces, the server's usage figures where it sent them,
// and when the first token came (0: none did).
interface Streamed {
  text: string;
  pieces: number;
  usage: RemoteUsage | null;
  stopped: boolean;
  firstToken: number;
}

export class RemoteAnswerer {
  #engines: RemoteEngines;
  // The last prompt each engine and model read, as text, for what its prefix cache will serve next.
  #lastPrompt = new Map<string, string>();
  // Server counts of prompt openings, by server, model and the opening's content hash (oldest first).
  #counts = new Map<string, RemoteTokenCount>();

  constructor(engines: RemoteEngines) {
    this.#engines = engines;
  }

  // The engine as a conversation stores it: the choice checked against the server's list of models.
  async resolve(choice: RemoteChoice): Promise<ConversationEngine> {
    const { client } = await this.#target(choice);
    return { ...choice, host: client.host };
  }

  async fit(choice: RemoteChoice, documents: readonly PromptDocument[], settings: Pick<Settings, 'answerTokens'>): Promise<FitPlan> {
    const target = await this.#target(choice);
    const { client, context } = target;
    // The documents' share of the prompt: the layout every question of the conversation starts with.
    const count = await this.#openingCount(target, choice.model, documents);
    const room = context === null ? settings.answerTokens : answerRoom(context, settings.answerTokens);
    const fits = context === null || count.tokens + room <= context;
    const where = `${choice.model} on ${client.host}`;
    const reason =
      context === null ? `${client.host} does not report ${choice.model}'s context: a prompt too long for it is refused by the server (say the context it runs with in Settings → Engines)`
      : fits ? `fits the ${formatTokens(context)} context of ${where}`
      : `${count.tokens.toLocaleString('en-US')} tokens and ${room.toLocaleString('en-US')} for the answer need more than the ${formatTokens(context)} context of ${where}`;
    const answer = context === null ? 0 : Math.floor((context - count.tokens) / 16) * 16;
    return {
      modelId: choice.model,
      documentTokens: count.tokens,
      answerRoom: room,
      context: context ?? 0,
      modelContext: context ?? 0,
      fitsContext: fits,
      // No memory is planned here: the server reserved its cache for its context when it started.
      memory: { device: `the server ${client.host}`, availableBytes: 0, source: `its context for ${choice.model} (max_model_len); its memory is the server's` },
      fitsMemory: true,
      fits,
      reason,
      choices: [],
      advice: fits ? [] : [
        ...(answer >= 64 && answer < settings.answerTokens ? [{ kind: 'answer' as const, answerTokens: answer, label: `Lower the longest answer to ${answer} tokens` }] : []),
        { kind: 'documents' as const, label: `Choose fewer or shorter documents: ${where} holds at most ${formatTokens(context ?? 0)} tokens` },
      ],
      server: { host: client.host, model: choice.model, tokensExact: count.exact, tokenSource: countedBy(count) },
    };
  }

  async answer(
    engine: ConversationEngine,
    documents: readonly PromptDocument[],
    asked: Turn[],
    sampling: AnswerSampling,
    io: { signal: AbortSignal; onProgress(progress: RemoteProgress): void; onText(text: string): void },
  ): Promise<RemoteAnswer> {
    const started = performance.now();
    const prompt = await this.#prompt(engine, documents, asked, sampling, io);
    const key = `${engine.engineId}\0${engine.model}`;
    // What the server has to read: the prompt less what it shares with the last one this model processed (its
    // prefix cache holds at least that), in proportion to the shared text.
    const flat = flatten(prompt.messages);
    const shared = sharedPrefix(flat, this.#lastPrompt.get(key) ?? '');
    const toRead = Math.max(1, prompt.tokens - Math.floor((prompt.tokens * shared) / flat.length));
    const sent = performance.now();
    const estimate = estimatePrefill(toRead, this.#engines.speed(engine.engineId, engine.model), io.onProgress);
    const streamed = await this.#stream(engine.model, prompt, sampling, io, () => {
      // The server has read this prompt: its cache now starts with it.
      this.#lastPrompt.set(key, flat);
      estimate.stop();
      io.onProgress({ phase: 'generating', done: 0, total: 0, tokensPerSecond: 0, etaSeconds: 0 });
    }).finally(() => estimate.stop());
    const { usage, firstToken } = streamed;
    const promptTokens = usage?.promptTokens ?? prompt.tokens;
    const cachedTokens = usage?.cachedTokens ?? null;
    const processed = promptTokens - (cachedTokens ?? 0);
    const toFirst = firstToken ? (firstToken - sent) / 1000 : 0;
    // A speed is the server's reading of tokens it did not have: over what it says its cache did not serve, or
    // where it does not say, only a prompt sharing nothing with the last one it read; never a stopped answer's.
    const uncachedKnown = cachedTokens !== null || shared === 0;
    if (!streamed.stopped && uncachedKnown && toFirst > 0 && processed >= MIN_MEASURED_TOKENS) {
      this.#engines.recordSpeed(engine.engineId, engine.model, processed / toFirst);
    }
    const generatedTokens = usage?.completionTokens ?? streamed.pieces;
    const generating = firstToken ? (performance.now() - firstToken) / 1000 : 0;
    return {
      text: streamed.text,
      stats: {
        promptTokens,
        prefilledTokens: firstToken ? processed : 0,
        generatedTokens,
        documentSource: null,
        secondsToFirstToken: firstToken ? (firstToken - started) / 1000 : 0,
        tokensPerSecond: generating > 0 ? generatedTokens / generating : 0,
        stopped: streamed.stopped,
        remote: { host: prompt.client.host, model: engine.model, cachedTokens },
      },
    };
  }

  // The question's messages in the model's layout and their count, with the room the answer has; a prompt that
  // does not fit the server's context is refused before it is sent.
  async #prompt(engine: ConversationEngine, documents: readonly PromptDocument[], asked: Turn[], sampling: AnswerSampling, io: { signal: AbortSignal; onProgress(progress: RemoteProgress): void }): Promise<RemotePrompt> {
    const target = await this.#target(engine);
    const { client, context } = target;
    const turns = withInstructions(asked, sampling.instructions, target.style);
    const messages = conversationMessages(documents, turns, target.style);
    io.onProgress({ phase: 'tokenizing', done: 0, total: 0, tokensPerSecond: 0, etaSeconds: 0 });
    const { tokens } = await this.#promptCount(target, engine.model, documents, turns, io.signal);
    const maxTokens = context === null ? sampling.maxTokens : answerRoom(context, sampling.maxTokens);
    if (context !== null && tokens + maxTokens > context) {
      throw new QuireError(
        'DOES_NOT_FIT',
        `this conversation needs ${tokens + maxTokens} tokens but ${engine.model} on ${client.host} takes ${context}; lower the longest answer in Settings or choose fewer documents`,
      );
    }
    return { client, messages, tokens, maxTokens };
  }

  // The answer as the server streams it; a stop ends it with what came so far. `onFirst` runs at the first token.
  async #stream(model: string, prompt: RemotePrompt, sampling: AnswerSampling, io: { signal: AbortSignal; onText(text: string): void }, onFirst: () => void): Promise<Streamed> {
    const streamed: Streamed = { text: '', pieces: 0, usage: null, stopped: false, firstToken: 0 };
    const first = () => {
      if (streamed.firstToken) return;
      streamed.firstToken = performance.now();
      onFirst();
    };
    try {
      const result = await prompt.client.chat(
        {
          model,
          messages: prompt.messages,
          maxTokens: prompt.maxTokens,
          ...(sampling.greedy ? { temperature: 0 } : { temperature: sampling.temperature, topP: sampling.topP }),
          ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
          signal: io.signal,
        },
        {
          onFirstToken: first,
          onText: (piece) => {
            first();
            streamed.pieces++;
            streamed.text += piece;
            io.onText(piece);
          },
        },
      );
      streamed.text = result.text;
      streamed.usage = result.usage;
    } catch (error) {
      if (!(io.signal.aborted && error instanceof QuireError && error.code === 'CANCELLED')) throw error;
      streamed.stopped = true;
    }
    return streamed;
  }

  #target(choice: RemoteChoice): Promise<RemoteTarget> {
    return remoteTarget(this.#engines, choice);
  }

  // The opening every question about these documents starts with, counted once per server, model and content.
  async #openingCount(target: RemoteTarget, model: string, documents: readonly PromptDocument[], signal?: AbortSignal): Promise<RemoteTokenCount> {
    const messages = conversationMessages(documents, EMPTY_QUESTION, target.style);
    const key = createHash('sha256').update(JSON.stringify([target.client.baseUrl, model, messages])).digest('hex');
    const known = this.#counts.get(key);
    if (known) return known;
    const count = await this.#engines.count(target.client, model, messages, signal);
    // An estimate is not kept: a tokenizer reachable later counts exactly.
    if (count.exact) {
      this.#counts.set(key, count);
      if (this.#counts.size > COUNTS_KEPT) this.#counts.delete(this.#counts.keys().next().value!);
    }
    return count;
  }

  // The whole prompt's count without sending the documents again: their opening's (kept), plus what the turns
  // add to it, counted with the documents' text left out. Exact but where a document's last characters and the
  // layout after them would tokenize together (a BPE merge across that boundary: a token at most).
  async #promptCount(target: RemoteTarget, model: string, documents: readonly PromptDocument[], turns: readonly Turn[], signal: AbortSignal): Promise<RemoteTokenCount> {
    const opening = await this.#openingCount(target, model, documents, signal);
    const emptied = documents.map((d) => ({ ...d, text: '' }));
    const [withTurns, without] = await Promise.all([
      this.#engines.count(target.client, model, conversationMessages(emptied, turns, target.style), signal),
      this.#openingCount(target, model, emptied, signal),
    ]);
    return { tokens: opening.tokens + withTurns.tokens - without.tokens, exact: opening.exact && withTurns.exact && without.exact, source: opening.source };
  }
}

// The engine's client, the model's context (null where the server does not report it) and its prompt style,
// the model checked against the server's list.
export async function remoteTarget(engines: Pick<RemoteEngines, 'client' | 'style' | 'statedContext'>, choice: RemoteChoice): Promise<RemoteTarget> {
  const client = engines.client(choice.engineId);
  const card = (await client.models()).find((m) => m.id === choice.model);
  if (!card) throw new QuireError('REMOTE_MODEL_MISSING', `${client.host} does not serve a model named ${choice.model}`);
  return { client, context: card.maxModelLen ?? engines.statedContext?.(choice.engineId, choice.model) ?? null, style: card.promptStyle ?? engines.style?.(choice.model) ?? 'instructions' };
}

// Progress while the server reads the prompt, estimated from its last measured speed (it says nothing until its
// first token), until stop().
function estimatePrefill(toRead: number, rate: number, onProgress: (progress: RemoteProgress) => void): { stop(): void } {
  const sent = performance.now();
  const tick = () => {
    const elapsed = (performance.now() - sent) / 1000;
    const done = rate > 0 ? Math.min(Math.round(toRead * MAX_ESTIMATED_FRACTION), Math.round(elapsed * rate)) : 0;
    onProgress({ phase: 'prefill', done, total: toRead, tokensPerSecond: rate, etaSeconds: rate > 0 ? Math.max(0, toRead / rate - elapsed) : 0, elapsedSeconds: elapsed });
  };
  tick();
  const ticker = setInterval(tick, PREFILL_TICK_MS);
  return { stop: () => clearInterval(ticker) };
}

const flatten = (messages: readonly ChatMessage[]) => messages.map((m) => `${m.role}\n${m.content}`).join('\n');

function sharedPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

// Who counted, in words for the fit line.
function countedBy(count: RemoteTokenCount): string {
  if (count.source === 'server') return 'the server';
  if (count.source === 'hub') return "the model's tokenizer from Hugging Face";
  return 'its length (no tokenizer could be reached)';
}
