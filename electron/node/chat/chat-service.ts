import type { ChatMessage as StoredMessage, ChatProgress, Conversation, ConversationStyle, ConversationSummary, FitPlan, InstalledModel, MessageStats, QuoteCheck, RemoteChoice, Settings } from '../../common/contract.ts';
import type { DocumentModel } from '../../common/document.ts';
import { isDiskFull, QuireError } from '../../common/errors.ts';
import { normalizeForMatch, verifyQuotes, type NormalizedText } from '../../common/quotes.ts';
import type { DocumentStore } from '../documents/store.ts';
import type { EventBus } from '../events.ts';
import type { ModelFit } from '../runtime/model-fit.ts';
import type { DocumentPrompts, DocumentRef } from '../runtime/prompt-ids.ts';
import type { ConversationStore, NewMessage } from './conversations.ts';
import { AnswerDraft } from './answer-draft.ts';
import type { ModelRuntime } from '../runtime/model-runtime.ts';
import { answerRoom, generationDefaults, type GenerationDefaults } from '../../../models/model-spec.ts';
import { recordedSettings, samplingFor, type AnswerSampling } from '../settings.ts';
import { withInstructions, type Turn } from '../runtime/prompt.ts';
import { REMOTE_GENERATION, RemoteAnswerer, type RemoteEngines } from './remote-answer.ts';

// Normalized texts kept for quote checks: those of the conversations in use, not of every document ever asked.
const NORMALIZED_CACHE_DOCUMENTS = 4;

export interface ChatServiceDeps {
  conversations: ConversationStore;
  documents: DocumentStore;
  runtime: ModelRuntime;
  bus: EventBus;
  settings: () => Settings;
  activeModel: () => InstalledModel;
  modelFit: ModelFit;
  // The documents' prompt ids, tokenized once and stored (prompt-ids.ts).
  prompts: DocumentPrompts;
  // Remote engines (OpenAI-compatible servers); where absent, every conversation is local.
  remote?: RemoteEngines;
}

type Running = { conversationId: string; cancelled: boolean; cancel: () => void };
type Answer = { text: string; stats: MessageStats };

// What the user is told while an answer waits for room on the disk.
const UNSAVED_REASON =
  'The disk is full: this answer is not saved yet. It stays here and is saved as soon as there is room (free some space); it is lost if Quire closes first.';

// Answers questions over whole documents. One engine serves the app, so one question runs at a time; the
// document tokens are reused from the cache or a snapshot, and only the new question is prefilled.
export class ChatService {
  #deps: ChatServiceDeps;
  #running: Running | null = null;
  #normalized = new Map<string, NormalizedText>();

  #remote: RemoteAnswerer | null;
  // Answers the database could not take because the disk was full, per conversation: shown with it and
  // stored at the next look at it or question in it, once there is room. An answer the user waited minutes
  // for is not thrown away for want of a few kilobytes.
  #unsaved = new Map<string, { cutAt: string | null; messages: NewMessage[] }>();

  constructor(deps: ChatServiceDeps) {
    this.#deps = deps;
    this.#remote = deps.remote ? new RemoteAnswerer(deps.remote) : null;
  }

  async create(documentIds: string[], engine: RemoteChoice | null = null): Promise<Conversation> {
    this.#documents(documentIds);
    if (engine) return this.#deps.conversations.create(documentIds, null, await this.#remoteAnswerer().resolve(engine));
    return this.#deps.conversations.create(documentIds, this.#localModelId());
  }

  // Changes the engine of the conversation's next questions (the server is asked whether it serves the model).
  async setEngine(id: string, engine: RemoteChoice | null): Promise<Conversation> {
    this.get(id);
    if (this.#running?.conversationId === id) throw new QuireError('BUSY', 'this conversation is answering a question; stop it or wait for it to finish');
    if (engine) this.#deps.conversations.setEngine(id, null, await this.#remoteAnswerer().resolve(engine));
    else this.#deps.conversations.setEngine(id, this.#localModelId(), null);
    return this.get(id);
  }

  // The conversation's own instructions and sampling, for its next questions (the one being answered keeps its own).
  setStyle(id: string, style: ConversationStyle | null): Conversation {
    this.get(id);
    this.#deps.conversations.setStyle(id, style);
    return this.get(id);
  }

  // What the conversation's next question is asked with: its own choices over the app's, over the defaults of
  // the model that answers (those of a model without any where none is installed).
  samplingOf(conversation: ConversationSummary): AnswerSampling {
    return samplingFor(this.#deps.settings(), { generation: conversation.engine ? REMOTE_GENERATION : this.#localGeneration() }, conversation);
  }

  #localGeneration(): GenerationDefaults {
    try {
      return this.#deps.activeModel().generation;
    } catch {
      return generationDefaults(null); // no model installed yet
    }
  }

  // The model that will answer: Settings' choice, or the first installed one where Settings names none (the
  // default), so that the conversation and its exports name it.
  #localModelId(): string | null {
    try {
      return this.#deps.activeModel().id;
    } catch {
      return null; // no model installed yet
    }
  }

  #remoteAnswerer(): RemoteAnswerer {
    if (!this.#remote) throw new QuireError('NOT_FOUND', 'remote engines are not available here');
    return this.#remote;
  }

  // Each look at a conversation first tries again to store an answer waiting for room.
  get(id: string): Conversation {
    const pending = this.#unsaved.get(id);
    if (pending && this.#store(id, pending.cutAt, pending.messages)) this.#unsaved.delete(id);
    return this.#view(id);
  }

  #view(id: string): Conversation {
    const conversation = this.#deps.conversations.get(id);
    if (!conversation) throw new QuireError('NOT_FOUND', `no conversation with id ${id}`);
    const waiting = this.#unsaved.get(id);
    if (!waiting) return conversation;
    // As it will read once stored: the stored messages up to the cut, then the waiting ones.
    const cut = waiting.cutAt ? conversation.messages.findIndex((m) => m.id === waiting.cutAt) : -1;
    const kept = cut >= 0 ? conversation.messages.slice(0, cut) : conversation.messages;
    const now = new Date().toISOString();
    return { ...conversation, messages: [...kept, ...waiting.messages.map((m, i) => ({ ...m, id: `unsaved-${i}`, createdAt: now }))], unsaved: UNSAVED_REASON };
  }

  // Stores a new tail; false (and nothing stored) when the disk is full.
  #store(conversationId: string, cutAt: string | null, messages: NewMessage[]): boolean {
    try {
      this.#deps.conversations.replaceTail(conversationId, cutAt, messages);
      return true;
    } catch (error) {
      if (isDiskFull(error)) return false;
      throw error;
    }
  }

  // Removing a turn or switching versions changes what the model is given, so not while it is answering.
  removeTurn(conversationId: string, messageId: string): Conversation {
    this.#idle(conversationId);
    this.#deps.conversations.removeTurn(this.get(conversationId).id, messageId);
    return this.get(conversationId);
  }

  switchVersion(conversationId: string, messageId: string, version: number): Conversation {
    this.#idle(conversationId);
    this.#deps.conversations.switchVersion(this.get(conversationId).id, messageId, version);
    return this.get(conversationId);
  }

  #idle(conversationId: string): void {
    if (this.#running?.conversationId === conversationId) throw new QuireError('BUSY', 'this conversation is being answered; stop it or wait for it to finish');
  }

  stop(conversationId: string): boolean {
    if (this.#running?.conversationId !== conversationId) return false;
    this.#running.cancelled = true;
    this.#running.cancel();
    return true;
  }

  // Loads nothing: the model's tokenizer and template count the prompt's document tokens, the spec and the
  // planner do the rest (model-fit.ts).
  // A remote engine's plan is the server's context against the server's count.
  async fit(documentIds: string[], engine: RemoteChoice | null = null): Promise<FitPlan> {
    if (engine) return this.#remoteAnswerer().fit(engine, this.#documents(documentIds), this.#deps.settings());
    const model = this.#deps.activeModel();
    const documentTokens = (await this.#deps.prompts.prefix(model, this.#refs(documentIds))).header.length;
    return this.#deps.modelFit.fit({ model, settings: this.#deps.settings(), documentTokens });
  }

  // A new question is stored before the engine starts and its answer as it streams, so that a crash keeps
  // both (the answer marked interrupted at the next start); an edited question or regenerated answer replaces
  // the old tail only once the new answer has begun (answer-draft.ts). A failure or stop before any answer
  // leaves the conversation as it was; a failure partway keeps the part shown, marked failed (docs/data.md).
  async ask(request: { conversationId: string; question?: string; replaceFrom?: string }): Promise<Conversation> {
    if (this.#running) throw new QuireError('BUSY', 'another question is being answered; stop it or wait for it to finish');
    const conversation = this.get(request.conversationId);
    if (conversation.unsaved) throw new QuireError('DISK_FULL', 'the disk is still full: the last answer is waiting to be saved; free some space before asking again');
    const { history, question, cutAt } = this.#plan(conversation, request);
    const running: Running = { conversationId: conversation.id, cancelled: false, cancel: () => undefined };
    this.#running = running;
    try {
      const draft = new AnswerDraft(this.#deps.conversations, conversation, cutAt, question === null ? [] : [{ role: 'user', content: question, quotes: [], stats: null }]);
      if (cutAt === null) draft.begin();
      const shown = (text: string) => {
        draft.add(text);
        this.#deps.bus.emit('chat.delta', { conversationId: conversation.id, text });
      };
      let made: Answer;
      const sampling = this.samplingOf(conversation);
      try {
        made = conversation.engine
          ? await this.#answerRemote(conversation, this.#documents(conversation.documentIds), history, sampling, running, shown)
          : await this.#answerLocal(conversation, this.#refs(conversation.documentIds), history, sampling, running, shown);
      } catch (error) {
        draft.fail(error as Error);
        throw error;
      }
      // The documents' text is read for the quote check only once the answer exists.
      const answer: NewMessage = { role: 'assistant', content: made.text, quotes: this.#verify(this.#documents(conversation.documentIds), made.text), stats: { ...made.stats, settings: recordedSettings(sampling) } };
      if (!draft.finish(answer)) this.#unsaved.set(conversation.id, draft.pending(answer));
      return this.#view(conversation.id);
    } finally {
      this.#running = null;
    }
  }

  // What the model sees (`history`, ending with the question), the new question to store (null when an
  // answer is regenerated for the stored one), and the message from which the stored tail is replaced.
  #plan(conversation: Conversation, request: { question?: string; replaceFrom?: string }) {
    const turn = (content: string): Turn => ({ role: 'user', content });
    const past = (messages: StoredMessage[]): Turn[] => messages.map((m) => ({ role: m.role, content: m.content }));
    if (!request.replaceFrom) {
      if (!request.question) throw new QuireError('INVALID_INPUT', 'a question is needed');
      return { history: [...past(conversation.messages), turn(request.question)], question: request.question, cutAt: null };
    }
    const index = conversation.messages.findIndex((m) => m.id === request.replaceFrom);
    if (index < 0) throw new QuireError('NOT_FOUND', `no message with id ${request.replaceFrom} in this conversation`);
    const message = conversation.messages[index];
    if (message.role === 'user') {
      if (!request.question) throw new QuireError('INVALID_INPUT', 'an edited question is needed');
      return { history: [...past(conversation.messages.slice(0, index)), turn(request.question)], question: request.question, cutAt: message.id };
    }
    if (conversation.messages[index - 1]?.role !== 'user') throw new QuireError('INVALID_INPUT', 'that answer has no question to regenerate from');
    return { history: past(conversation.messages.slice(0, index)), question: null, cutAt: message.id };
  }

  async #answerRemote(conversation: Conversation, documents: (DocumentModel & { id: string })[], turns: Turn[], sampling: AnswerSampling, running: Running, shown: (text: string) => void): Promise<Answer> {
    const { bus } = this.#deps;
    const abort = new AbortController();
    running.cancel = () => abort.abort();
    return this.#remoteAnswerer().answer(conversation.engine!, documents, turns, sampling, {
      signal: abort.signal,
      onProgress: (p) => bus.emit('chat.progress', { conversationId: conversation.id, ...p }),
      onText: shown,
    });
  }

  // The engine is shared with the API server and the self-check: the question waits its turn (a stop while
  // waiting leaves the queue), then runs whole in one engine call (model-runtime.ts answer()).
  async #answerLocal(conversation: Conversation, documents: DocumentRef[], turns: Turn[], style: AnswerSampling, running: Running, shown: (text: string) => void): Promise<Answer> {
    const { bus, runtime } = this.#deps;
    const abort = new AbortController();
    running.cancel = () => abort.abort();
    const started = performance.now();
    // Tokens restored from a checkpoint of a reading that stopped part-way: every later figure says where it resumed.
    let resumedFrom = 0;
    const progress = (phase: ChatProgress['phase'], p = { done: 0, total: 0, tokensPerSecond: 0, etaSeconds: 0 }) =>
      bus.emit('chat.progress', { conversationId: conversation.id, phase, ...p, ...(resumedFrom > 0 ? { resumedFrom } : {}) });
    progress('tokenizing');
    const model = this.#deps.activeModel();
    const prompt = await this.#deps.prompts.prompt(model, documents, withInstructions(turns, style.instructions, model.promptStyle));
    progress('loading');
    const warnings: string[] = [];
    let firstToken = 0;
    let generationStarted = 0;
    const result = await runtime.answer(
      {
        model,
        settings: this.#deps.settings(),
        prompt,
        room: (context) => answerRoom(context, style.maxTokens),
        sampling: style.greedy ? { greedy: true } : { temperature: style.temperature, topP: style.topP, ...(style.seed !== undefined ? { seed: style.seed } : {}) },
        stop: [],
        save: 'prefix',
        signal: abort.signal,
      },
      {
        onPhase: (p) => {
          if (p.phase === 'restoring') {
            if (p.tokens < p.of) resumedFrom = p.tokens;
            progress('restoring', { done: p.tokens, total: p.of, tokensPerSecond: 0, etaSeconds: 0 });
          } else {
            generationStarted = performance.now();
            progress('generating');
          }
        },
        onProgress: (p) => progress('prefill', p),
        onWarning: (message) => warnings.push(message),
        onText: (piece) => {
          firstToken ||= performance.now();
          shown(piece);
        },
      },
    );
    const generationSeconds = generationStarted ? (performance.now() - generationStarted) / 1000 : 0;
    return {
      text: result.text,
      stats: {
        promptTokens: result.promptTokens,
        documentTokens: prompt.documentTokens,
        prefilledTokens: result.prefilledTokens,
        generatedTokens: result.tokens.length,
        documentSource: result.source,
        ...(warnings.length > 0 ? { warnings } : {}),
        secondsToFirstToken: firstToken ? (firstToken - started) / 1000 : 0,
        tokensPerSecond: generationSeconds > 0 ? result.tokens.length / generationSeconds : 0,
        stopped: result.stopped || running.cancelled,
      },
    };
  }

  // The documents as the stored prompt ids name them; their text is read only if their prefix must be encoded.
  #refs(ids: string[]): DocumentRef[] {
    return ids.map((id) => {
      if (!this.#deps.documents.summary(id)) throw new QuireError('NOT_FOUND', `no document with id ${id}`);
      return { id, load: () => this.#documents([id])[0] };
    });
  }

  #documents(ids: string[]): (DocumentModel & { id: string })[] {
    return ids.map((id) => {
      const doc = this.#deps.documents.get(id);
      if (!doc) throw new QuireError('NOT_FOUND', `no document with id ${id}`);
      return { ...doc, id };
    });
  }

  #verify(documents: (DocumentModel & { id: string })[], answer: string): QuoteCheck[] {
    const checks = new Map<string, QuoteCheck>();
    for (const doc of documents) {
      let normalized = this.#normalized.get(doc.id);
      if (!normalized) {
        normalized = normalizeForMatch(doc.text);
        this.#normalized.set(doc.id, normalized);
        if (this.#normalized.size > NORMALIZED_CACHE_DOCUMENTS) this.#normalized.delete(this.#normalized.keys().next().value!);
      }
      for (const check of verifyQuotes(doc, answer, normalized)) {
        if (!checks.get(check.quote)?.verified) checks.set(check.quote, { ...check, documentId: check.verified ? doc.id : null });
      }
    }
    return [...checks.values()];
  }
}
