import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatProgress, Settings } from '../../../electron/common/contract.ts';
import { QuireError } from '../../../electron/common/errors.ts';
import { ChatService } from '../../../electron/node/chat/chat-service.ts';
import { ConversationStore } from '../../../electron/node/chat/conversations.ts';
import { ModelRuntime } from '../../../electron/node/runtime/model-runtime.ts';
import { TextService } from '../../../electron/node/runtime/text-service.ts';
import { DocumentPrompts } from '../../../electron/node/runtime/prompt-ids.ts';
import { openDatabase } from '../../../electron/node/db.ts';
import { DocumentStore } from '../../../electron/node/documents/store.ts';
import { EventBus } from '../../../electron/node/events.ts';
import { buildExportModel } from '../../../electron/node/export/export-model.ts';
import { ModelFit } from '../../../electron/node/runtime/model-fit.ts';
import { OpenAiClient } from '../../../electron/node/remote/openai-client.ts';
import { DEFAULT_SETTINGS } from '../../../electron/node/settings.ts';
import { startVllmStub, type VllmStub } from '../../fixtures/vllm-stub.ts';

const MODEL = 'nvidia/Llama-3.1-8B-UltraLong-1M-Instruct';
const LEASE = Array.from({ length: 40 }, (_, i) => `Clause ${i + 1}: the tenant shall keep the garden tidy.`).join('\n');
const LEASE_WORDS = LEASE.split(/\s+/).length;

let stub: VllmStub;
let chat: ChatService;
let conversations: ConversationStore;
let documentId: string;
let documents: DocumentStore;
let settings: Settings;
const events: { name: string; payload: unknown }[] = [];
const engine = { engineId: 'gpu-box', model: MODEL };
// The engines' measured reading speeds, as the engine store keeps them across restarts.
const speeds = new Map<string, number>();
// A chat service over the same database, engines and speeds: a new one is the app after a restart.
let newChat: () => ChatService;
let client: OpenAiClient;
// The server restarted with another context: the client's model list (read once per engine session) again.
const restartWith = async (maxModelLen: number) => {
  stub.options.maxModelLen = maxModelLen;
  await client.models(true);
};
const chats = () => stub.requests.filter((r) => r.path === '/v1/chat/completions');
const chatBody = () => chats().at(-1)!.body as { messages: { role: string; content: string }[]; max_tokens: number };

beforeAll(async () => {
  stub = await startVllmStub({ model: MODEL, maxModelLen: 4096, reply: 'The tenant does: "the tenant shall keep the garden tidy" (clause 1).' });
  const root = mkdtempSync(join(tmpdir(), 'quire-remote-chat-'));
  const db = openDatabase(join(root, 'quire.db'));
  documents = new DocumentStore(db);
  documentId = (await documents.importBytes('lease.txt', new TextEncoder().encode(LEASE))).id;
  conversations = new ConversationStore(db);
  const text = new TextService();
  const prompts = new DocumentPrompts(root, text);
  const bus = new EventBus();
  bus.subscribe((name, payload) => events.push({ name, payload }));
  settings = { ...DEFAULT_SETTINGS, answerTokens: 256 };
  client = new OpenAiClient({ baseUrl: stub.baseUrl, apiKey: null });
  newChat = () => new ChatService({
    conversations,
    documents,
    runtime: new ModelRuntime({ root }),
    bus,
    settings: () => settings,
    activeModel: () => {
      throw new QuireError('NOT_FOUND', 'no model is installed');
    },
    modelFit: new ModelFit(documents, prompts),
    prompts,
    remote: {
      client: (id) => {
        if (id !== engine.engineId) throw new QuireError('NOT_FOUND', `no engine ${id}`);
        return client;
      },
      count: async (c, model, messages, signal) => ({ tokens: (await c.tokenizeChat(model, messages, signal))!.length, exact: true, source: 'server' }),
      speed: (id, model) => speeds.get(`${id} ${model}`) ?? 0,
      recordSpeed: (id, model, tokensPerSecond) => void speeds.set(`${id} ${model}`, tokensPerSecond),
    },
  });
  chat = newChat();
});

afterAll(async () => {
  await stub?.close();
});

beforeEach(async () => {
  events.length = 0;
  stub.options.prefillDelayMs = 0;
  await restartWith(4096);
});

describe('a conversation on a remote engine', () => {
  it('is created with its engine and host, and a model the server lacks is refused', async () => {
    const created = await chat.create([documentId], engine);
    expect(created.engine).toEqual({ ...engine, host: new URL(stub.baseUrl).host });
    expect(created.modelId).toBeNull();
    await expect(chat.create([documentId], { ...engine, model: 'other' })).rejects.toMatchObject({ code: 'REMOTE_MODEL_MISSING' });
    // Back to the local model for the next question, and to the server again.
    expect((await chat.setEngine(created.id, null)).engine).toBeNull();
    expect((await chat.setEngine(created.id, engine)).engine?.model).toBe(MODEL);
  });

  it('checks the fit against the server context with the server count', async () => {
    const fit = await chat.fit([documentId], engine);
    expect(fit).toMatchObject({ context: 4096, fits: true, fitsContext: true, choices: [], server: { model: MODEL, tokensExact: true } });
    // The documents' share of the prompt: the lease and the layout around it, counted by the server.
    expect(fit.documentTokens).toBeGreaterThan(LEASE_WORDS);
    expect(fit.documentTokens).toBeLessThan(LEASE_WORDS + 100);
    // The documents with less room than the answer's.
    await restartWith(fit.documentTokens + 20);
    const tight = await chat.fit([documentId], engine);
    expect(tight).toMatchObject({ fits: false, context: fit.documentTokens + 20 });
    expect(tight.reason).toContain(`need more than the ${tight.context} context of ${MODEL} on 127.0.0.1`);
  });

  it('streams the answer, verifies its quote, and a follow-up comes from the server cache', async () => {
    const { id } = await chat.create([documentId], engine);
    const first = await chat.ask({ conversationId: id, question: 'Who keeps the garden?' });
    const answer = first.messages[1];
    expect(answer.content).toContain('the garden tidy');
    expect(events.filter((e) => e.name === 'chat.delta').map((e) => (e.payload as { text: string }).text).join('')).toBe(answer.content);
    expect(answer.quotes).toEqual([expect.objectContaining({ quote: 'the tenant shall keep the garden tidy', verified: true, documentId })]);
    expect(answer.stats).toMatchObject({ stopped: false, remote: { model: MODEL, cachedTokens: expect.any(Number) } });
    expect(answer.stats!.generatedTokens).toBeGreaterThan(0);
    // The same layout as the local model's: instructions, then the documents and the question.
    expect(chatBody().messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(chatBody().messages[1].content).toContain('<document index="1" title="lease"');
    expect(chatBody().max_tokens).toBe(256);

    const second = await chat.ask({ conversationId: id, question: 'And the roof?' });
    const stats = second.messages[3].stats!;
    // Everything up to the new question was already on the server.
    expect(stats.remote!.cachedTokens).toBeGreaterThan(LEASE_WORDS);
    expect(stats.prefilledTokens).toBe(stats.promptTokens - stats.remote!.cachedTokens!);
    expect(stats.prefilledTokens).toBeLessThan(60);
    expect(chatBody().messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('shows estimated progress while the server reads, and stop aborts the request on the server', async () => {
    // A document the server has not read yet.
    const fence = (await documents.importBytes('fence.txt', new TextEncoder().encode(LEASE.replace(/garden/g, 'fence')))).id;
    const { id } = await chat.create([fence], engine);
    // A first answer measures this server's speed, so the next prefill has an estimate; it reads the whole lease.
    stub.options.prefillDelayMs = 200;
    await chat.ask({ conversationId: id, question: 'Who keeps the garden?' });
    const firstRead = events.filter((e) => e.name === 'chat.progress').map((e) => e.payload as ChatProgress).find((p) => p.phase === 'prefill')!;
    expect(firstRead.total).toBeGreaterThan(LEASE_WORDS);
    stub.options.prefillDelayMs = 5_000;
    events.length = 0;
    const asking = chat.ask({ conversationId: id, question: 'Who mends the fence?' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const progress = events.filter((e) => e.name === 'chat.progress').map((e) => e.payload as ChatProgress);
    const prefill = progress.filter((p) => p.phase === 'prefill');
    expect(prefill.length).toBeGreaterThan(1);
    expect(prefill.at(-1)!.elapsedSeconds).toBeGreaterThan(0.3);
    // A follow-up: the server reads the last answer and the new question only, the lease being in its cache.
    expect(prefill.at(-1)!.total).toBeLessThan(60);
    expect(prefill.at(-1)!.tokensPerSecond).toBeGreaterThan(0);
    expect(chat.stop(id)).toBe(true);
    const stopped = await asking;
    expect(stopped.messages.at(-1)!.stats).toMatchObject({ stopped: true, generatedTokens: 0 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(chats().at(-1)!.aborted).toBe(true);
  });

  it('estimates the reading of the first question after a restart from the speed measured before it', async () => {
    const lease = (name: string) => new TextEncoder().encode(LEASE.replace(/garden/g, name));
    stub.options.prefillDelayMs = 200;
    const { id } = await chat.create([(await documents.importBytes('wall.txt', lease('wall'))).id], engine);
    await chat.ask({ conversationId: id, question: 'Who keeps the wall?' });
    const measured = speeds.get(`${engine.engineId} ${MODEL}`)!;
    expect(measured).toBeGreaterThan(0);
    const restarted = newChat();
    const { id: other } = await restarted.create([(await documents.importBytes('roof.txt', lease('roof'))).id], engine);
    events.length = 0;
    await restarted.ask({ conversationId: other, question: 'Who mends the roof?' });
    const reading = events.filter((e) => e.name === 'chat.progress').map((e) => e.payload as ChatProgress).find((p) => p.phase === 'prefill')!;
    expect(reading.tokensPerSecond).toBe(measured);
    expect(reading.total).toBeGreaterThan(LEASE_WORDS);
    expect(reading.etaSeconds).toBeGreaterThan(0);
  });

  it('a stop while the server counts the prompt ends the count there and sends no question', async () => {
    const { id } = await chat.create([documentId], engine);
    const sent = chats().length;
    stub.faults.push({ kind: 'hang', path: '/tokenize' });
    const asking = chat.ask({ conversationId: id, question: 'Who keeps the garden?' });
    await expect.poll(() => events.some((e) => e.name === 'chat.progress' && (e.payload as ChatProgress).phase === 'tokenizing')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(chat.stop(id)).toBe(true);
    await expect(asking).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect.poll(() => stub.requests.filter((r) => r.path === '/tokenize').at(-1)!.aborted).toBe(true);
    expect(chats().length).toBe(sent);
    expect(chat.get(id).messages).toEqual([]);
  });

  it('refuses a conversation that does not fit before sending anything, leaving it unchanged', async () => {
    const { id } = await chat.create([documentId], engine);
    const sent = chats().length;
    await restartWith((await chat.fit([documentId], engine)).documentTokens + 40);
    await expect(chat.ask({ conversationId: id, question: 'Who keeps the garden?' })).rejects.toMatchObject({ code: 'DOES_NOT_FIT' });
    expect(chats().length).toBe(sent);
    expect(chat.get(id).messages).toEqual([]);
  });

  it('exports name the remote model and its host', async () => {
    const { id } = await chat.create([documentId], engine);
    await chat.ask({ conversationId: id, question: 'Who keeps the garden?' });
    expect(buildExportModel(chat.get(id), [], chat.samplingOf(chat.get(id))).model).toBe(`${MODEL} on ${new URL(stub.baseUrl).host}`);
  });
});

describe('a remote conversation’s instructions and sampling', () => {
  it('go to the server with every question: greedy until chosen, then the conversation’s own', async () => {
    const { id } = await chat.create([documentId], engine);
    await chat.ask({ conversationId: id, question: 'Who keeps the garden?' });
    expect(chats().at(-1)!.body).toMatchObject({ temperature: 0, max_tokens: 256 });
    expect(chats().at(-1)!.body).not.toHaveProperty('seed');
    chat.setStyle(id, { instructions: 'Answer in French.', temperature: 0.3, topP: 0.8, seed: 9, answerTokens: 100 });
    await chat.ask({ conversationId: id, question: 'And the roof?' });
    expect(chats().at(-1)!.body).toMatchObject({ temperature: 0.3, top_p: 0.8, seed: 9, max_tokens: 100 });
    expect(chatBody().messages.at(-1)!.content).toBe('And the roof?\n\nInstructions: Answer in French.');
  });
});
