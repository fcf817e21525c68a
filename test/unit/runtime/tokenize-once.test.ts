// Issue 21's invariants through the app's own services and router: a document is encoded once (its count, the
// fit check and every question share the stored ids, also after a restart), and its ids cross to the engine's
// process once per engine, as a typed array, never with a follow-up.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { recordingEngine } from './recording-engine.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { callRouter } from '../router-call.ts';

// What each answer call carried: the prefix's tokens (how many, and as what), or only its key.
const sent: { prefixTokens: number | null; typed: boolean }[] = [];
const engine = recordingEngine((message) => {
  if (message.method !== 'answer') return;
  const tokens = message.params.prefix?.tokens ?? null;
  sent.push({ prefixTokens: tokens ? tokens.length : null, typed: tokens === null || tokens instanceof Int32Array });
});

let services: AppServices;
afterAll(async () => {
  await services?.close();
});

function start(root: string): { services: AppServices; encodes: () => number } {
  services = createAppServices({ mode: 'cli', root, engineProcess: engine });
  const spy = vi.spyOn(services.text, 'encodeDocuments');
  return { services, encodes: () => spy.mock.calls.length };
}

describe('a document is tokenized once', () => {
  it('for its count, its fit, every question and after a restart; its ids go to an engine once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-once-'));
    await installTinyModel(root);
    let app = start(root);
    await callRouter(app.services, 'settings.update', { answerTokens: 16, contextTokens: 8192 });
    const text = Array.from({ length: 200 }, (_, i) => `Entry ${i + 1}: the keeper logged the tide at dawn.`).join('\n');
    const { id } = await callRouter(app.services, 'library.import', { name: 'log.txt', bytes: new TextEncoder().encode(text) });
    const listed = (await callRouter(app.services, 'library.list', {})).find((d) => d.id === id)!;
    expect(app.encodes()).toBe(1);
    const fit = await callRouter(app.services, 'chat.fit', { documentIds: [id] });
    expect(fit.documentTokens).toBe(listed.tokens);
    const conversation = await callRouter(app.services, 'chat.create', { documentIds: [id] });
    const first = await callRouter(app.services, 'chat.ask', { conversationId: conversation.id, question: 'When was the tide logged?' });
    await callRouter(app.services, 'chat.ask', { conversationId: conversation.id, question: 'By whom?' });
    expect(first.messages[1].stats!.documentTokens).toBe(listed.tokens);
    // Count, fit and two questions: one encode of the document in all.
    expect(app.encodes()).toBe(1);
    // The first question sent the prefix's ids (typed); the follow-up only its own.
    expect(sent).toEqual([
      { prefixTokens: listed.tokens, typed: true },
      { prefixTokens: null, typed: true },
    ]);

    await app.services.close();
    sent.length = 0;
    app = start(root);
    const again = await callRouter(app.services, 'chat.ask', { conversationId: conversation.id, question: 'Where?' });
    // After a restart: nothing of the document is tokenized; the new engine gets its ids once and restores its cache.
    expect(app.encodes()).toBe(0);
    expect(again.messages.at(-1)!.stats!.documentSource).toBe('snapshot');
    expect(sent).toEqual([{ prefixTokens: listed.tokens, typed: true }]);
  });
});
