// Issue 23 point 3: the question in flight and the part of the answer already shown are in the database, so
// that a crash loses neither; what an engine failure or a regenerate that fails leaves behind.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { WRITE_EVERY_MS } from '../../../electron/node/chat/answer-draft.ts';
import { ConversationStore } from '../../../electron/node/chat/conversations.ts';
import { databasePath } from '../../../electron/node/paths.ts';
import { openDatabase } from '../../../electron/node/db.ts';
import type { AnswerListeners } from '../../../electron/node/runtime/model-runtime.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { callRouter } from '../router-call.ts';

let services: AppServices;
let root: string;
let documentId: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'quire-stored-'));
  await installTinyModel(root);
  services = createAppServices({ mode: 'cli', root });
  await callRouter(services, 'settings.update', { answerTokens: 16, contextTokens: 8192 });
  const doc = await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode('Clause 1: the tenant shall keep the garden tidy.') });
  documentId = doc.id;
}, 120_000);

afterAll(async () => {
  await services?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const conversation = async () => (await callRouter(services, 'chat.create', { documentIds: [documentId] })).id;
const read = (id: string) => services.chat.get(id);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The engine's answer, as the test scripts it: `body` gets the listeners (onText shows a piece) and either
// returns the answer's text or throws.
function engine(body: (io: AnswerListeners) => Promise<string>) {
  return vi.spyOn(services.runtime, 'answer').mockImplementation(async (_request, io = {}) => {
    const text = await body(io);
    return { tokens: [1], text, stopped: false, promptTokens: 10, prefilledTokens: 10, source: 'prefill', held: null, restored: null, saved: null, discarded: null, context: 8192 } as never;
  });
}

describe('an answer is stored as it streams', () => {
  it('stores the question before the engine starts, the first piece before it is shown, then at most once a second', async () => {
    const id = await conversation();
    const seen: string[] = [];
    // What the database holds when the engine starts, and when each piece reaches the user.
    let atStart: ReturnType<typeof read> | null = null;
    const off = services.bus.subscribe((name, payload) => {
      if (name === 'chat.delta') seen.push(read(id).messages.at(-1)!.content);
    });
    const writes = vi.spyOn(ConversationStore.prototype, 'writeAnswer');
    const pieces = 30;
    engine(async ({ onText }) => {
      atStart = read(id);
      for (let i = 0; i < pieces; i++) {
        onText!(`w${i} `);
        await sleep(100);
      }
      return 'the whole answer';
    });
    try {
      const answered = await callRouter(services, 'chat.ask', { conversationId: id, question: 'Who keeps the garden?' });
      expect(atStart!.messages.map((m) => [m.role, m.content, m.status])).toEqual([
        ['user', 'Who keeps the garden?', undefined],
        ['assistant', '', 'streaming'],
      ]);
      expect(seen[0]).toBe('w0 ');
      // 3 s of streaming: written at its start and then about once a second, never once per piece.
      const whileStreaming = writes.mock.calls.filter(([, answer]) => answer.status === 'streaming').length;
      expect(whileStreaming).toBeGreaterThanOrEqual(Math.floor((pieces * 100) / WRITE_EVERY_MS));
      expect(whileStreaming).toBeLessThanOrEqual(Math.ceil((pieces * 100) / WRITE_EVERY_MS) + 1);
      expect(answered.messages.at(-1)).toMatchObject({ content: 'the whole answer' });
      expect(answered.messages.at(-1)!.status).toBeUndefined();
      expect(read(id).messages.at(-1)!.status).toBeUndefined();
    } finally {
      off();
    }
  });

  it('marks an answer still streaming at the next start as interrupted, with its text', async () => {
    const id = await conversation();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    engine(async ({ onText }) => {
      onText!('The tenant ');
      await released;
      throw new QuireError('INTERNAL', 'stopped by the test');
    });
    const asking = callRouter(services, 'chat.ask', { conversationId: id, question: 'Who keeps the garden?' }).catch(() => undefined);
    await vi.waitFor(() => expect(read(id).messages.at(-1)?.content).toBe('The tenant '));
    // The next start: the same database opened afresh while this app still had the answer in flight.
    const next = new ConversationStore(openDatabase(databasePath(root)));
    expect(next.get(id)!.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'Who keeps the garden?', undefined],
      ['assistant', 'The tenant ', 'interrupted'],
    ]);
    release();
    await asking;
  });
});

describe('what a failure leaves', () => {
  it('before any answer: the conversation as it was, title and all', async () => {
    const id = await conversation();
    const before = read(id);
    engine(async () => {
      throw new QuireError('DOES_NOT_FIT', 'the documents do not fit');
    });
    await expect(callRouter(services, 'chat.ask', { conversationId: id, question: 'Anything?' })).rejects.toMatchObject({ code: 'DOES_NOT_FIT' });
    expect(read(id)).toEqual(before);
  });

  it('partway: the part shown, marked failed with the engine’s words', async () => {
    const id = await conversation();
    engine(async ({ onText }) => {
      onText!('Half an ');
      throw new QuireError('INTERNAL', 'the engine exited (SIGKILL)');
    });
    await expect(callRouter(services, 'chat.ask', { conversationId: id, question: 'Who?' })).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(read(id).messages.at(-1)).toMatchObject({ role: 'assistant', content: 'Half an ', status: 'failed', error: 'the engine exited (SIGKILL)' });
  });

  it('a regenerate keeps the old answer until the new one begins, and Retry of an unfinished answer replaces it', async () => {
    const id = await conversation();
    engine(async ({ onText }) => {
      onText!('Cut ');
      throw new QuireError('INTERNAL', 'the engine exited');
    });
    await callRouter(services, 'chat.ask', { conversationId: id, question: 'Who?' }).catch(() => undefined);
    const failed = read(id).messages;
    engine(async () => {
      throw new QuireError('INTERNAL', 'the engine exited again');
    });
    await expect(callRouter(services, 'chat.ask', { conversationId: id, replaceFrom: failed[1].id })).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(read(id).messages).toEqual(failed);
    engine(async ({ onText }) => {
      onText!('Ada ');
      return 'Ada keeps it.';
    });
    const retried = await callRouter(services, 'chat.ask', { conversationId: id, replaceFrom: failed[1].id });
    expect(retried.messages.map((m) => [m.content, m.status])).toEqual([
      ['Who?', undefined],
      ['Ada keeps it.', undefined],
    ]);
    expect(retried.messages[0].id).toBe(failed[0].id);
  });

  it('a full disk at the answer’s end keeps it shown and stores it once there is room', async () => {
    const id = await conversation();
    const full = Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 });
    vi.spyOn(ConversationStore.prototype, 'writeAnswer').mockImplementation(() => {
      throw full;
    });
    engine(async ({ onText }) => {
      onText!('Ada ');
      return 'Ada keeps it.';
    });
    const answered = await callRouter(services, 'chat.ask', { conversationId: id, question: 'Who?' });
    expect(answered.unsaved).toMatch(/^The disk is full/);
    expect(answered.messages.map((m) => m.content)).toEqual(['Who?', 'Ada keeps it.']);
    vi.restoreAllMocks();
    const stored = await callRouter(services, 'chat.get', { id });
    expect(stored.unsaved).toBeUndefined();
    expect(read(id).messages.map((m) => [m.content, m.status])).toEqual([
      ['Who?', undefined],
      ['Ada keeps it.', undefined],
    ]);
  });
});
