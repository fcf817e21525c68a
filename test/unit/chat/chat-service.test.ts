import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConversationStore } from '../../../electron/node/chat/conversations.ts';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { callRouter } from '../router-call.ts';

let services: AppServices;
let conversationId: string;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'quire-chat-'));
  await installTinyModel(root);
  services = createAppServices({ mode: 'cli', root });
  await callRouter(services, 'settings.update', { answerTokens: 16, contextTokens: 8192 });
  const text = Array.from({ length: 120 }, (_, i) => `Clause ${i + 1}: the tenant shall keep the garden tidy.`).join('\n');
  const doc = await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode(text) });
  conversationId = (await callRouter(services, 'chat.create', { documentIds: [doc.id] })).id;
}, 120_000);

afterAll(async () => {
  await services?.close();
});

const messages = async () => (await callRouter(services, 'chat.get', { id: conversationId })).messages;

describe('chat service over a real tiny model', () => {
  it('answers, and a follow-up reuses the cached documents', async () => {
    const first = await callRouter(services, 'chat.ask', { conversationId, question: 'Who keeps the garden?' });
    expect(first.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(first.messages[1].stats).toMatchObject({ documentSource: 'prefill', generatedTokens: 16, stopped: false });
    const second = await callRouter(services, 'chat.ask', { conversationId, question: 'And the roof?' });
    const stats = second.messages[3].stats!;
    expect(stats.documentSource).toBe('cache');
    // Only the first answer and the new question are run through the model, never the lease again.
    expect(stats.prefilledTokens).toBeLessThan(first.messages[1].stats!.prefilledTokens / 4);
  });

  it('regenerates an answer in place and replaces the tail after an edited question', async () => {
    const before = await messages();
    const regenerated = await callRouter(services, 'chat.ask', { conversationId, replaceFrom: before[3].id });
    expect(regenerated.messages).toHaveLength(4);
    expect(regenerated.messages.slice(0, 3).map((m) => m.id)).toEqual(before.slice(0, 3).map((m) => m.id));
    expect(regenerated.messages[3].id).not.toBe(before[3].id);
    const edited = await callRouter(services, 'chat.ask', { conversationId, replaceFrom: before[2].id, question: 'And the fence?' });
    expect(edited.messages.map((m) => m.content.slice(0, 15))).toEqual([before[0].content.slice(0, 15), before[1].content.slice(0, 15), 'And the fence?', expect.any(String)]);
  });

  it('leaves the conversation untouched when a question cannot be answered', async () => {
    const before = await messages();
    // The lease alone is longer than this context.
    await callRouter(services, 'settings.update', { contextTokens: 1024 });
    await expect(callRouter(services, 'chat.ask', { conversationId, question: 'Too long an answer?' })).rejects.toMatchObject({ code: 'DOES_NOT_FIT' });
    await expect(callRouter(services, 'chat.ask', { conversationId, replaceFrom: before[2].id, question: 'Edited but failing?' })).rejects.toMatchObject({ code: 'DOES_NOT_FIT' });
    expect(await messages()).toEqual(before);
    await callRouter(services, 'settings.update', { contextTokens: 8192 });
  });

  it('refuses a second question while one is running, and unknown messages', async () => {
    const running = callRouter(services, 'chat.ask', { conversationId, question: 'First?' });
    await expect(callRouter(services, 'chat.ask', { conversationId, question: 'Second?' })).rejects.toMatchObject({ code: 'BUSY' });
    await running;
    await expect(callRouter(services, 'chat.ask', { conversationId, replaceFrom: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('counts the tokens of a stopped answer', async () => {
    await callRouter(services, 'settings.update', { answerTokens: 512 });
    let deltas = 0;
    const off = services.bus.subscribe((name) => {
      if (name === 'chat.delta' && ++deltas === 4) services.chat.stop(conversationId);
    });
    try {
      const stopped = await callRouter(services, 'chat.ask', { conversationId, question: 'Tell me everything about the garden.' });
      const stats = stopped.messages.at(-1)!.stats!;
      expect(stats.stopped).toBe(true);
      expect(stats.generatedTokens).toBeGreaterThanOrEqual(4);
      expect(stats.generatedTokens).toBeLessThan(512);
    } finally {
      off();
      await callRouter(services, 'settings.update', { answerTokens: 16 });
    }
  });

  it('keeps an answer the full disk refused, shows it, and stores it once there is room', async () => {
    const before = await messages();
    // What node:sqlite throws when the disk is full (SQLITE_FULL), twice: the question's store before the engine
    // starts, and the answer's at its end.
    const full = Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 });
    const refuse = vi
      .spyOn(ConversationStore.prototype, 'replaceTail')
      .mockImplementationOnce(() => {
        throw full;
      })
      .mockImplementationOnce(() => {
        throw full;
      });
    try {
      const answered = await callRouter(services, 'chat.ask', { conversationId, question: 'Who mends the fence?' });
      expect(answered.unsaved).toMatch(/^The disk is full: this answer is not saved yet/);
      expect(answered.messages).toHaveLength(before.length + 2);
      expect(answered.messages.at(-2)).toMatchObject({ role: 'user', content: 'Who mends the fence?' });
      expect(answered.messages.at(-1)!.role).toBe('assistant');
      // The next look at the conversation finds room and stores it for good.
      const stored = await callRouter(services, 'chat.get', { id: conversationId });
      expect(stored.unsaved).toBeUndefined();
      expect(stored.messages.map((m) => m.content)).toEqual(answered.messages.map((m) => m.content));
      expect(stored.messages.every((m) => !m.id.startsWith('unsaved-'))).toBe(true);
    } finally {
      refuse.mockRestore();
    }
  });

  it('asks nothing new while an answer waits for room', async () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 });
    const refuse = vi.spyOn(ConversationStore.prototype, 'replaceTail').mockImplementation(() => {
      throw full;
    });
    try {
      const answered = await callRouter(services, 'chat.ask', { conversationId, question: 'Who paints the gate?' });
      expect(answered.unsaved).toBeDefined();
      await expect(callRouter(services, 'chat.ask', { conversationId, question: 'And the shed?' })).rejects.toMatchObject({ code: 'DISK_FULL' });
    } finally {
      refuse.mockRestore();
    }
    expect((await messages()).at(-2)!.content).toBe('Who paints the gate?');
  });
});

