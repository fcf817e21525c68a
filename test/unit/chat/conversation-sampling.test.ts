// A conversation's own instructions and sampling reach the engine for each of its questions (and another
// conversation keeps the app's), while its follow-ups are still read from the documents' cache.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { recordingEngine } from '../runtime/recording-engine.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { MANIFEST_FILE } from '../../../models/model-spec.ts';
import { callRouter } from '../router-call.ts';

const samplings: unknown[] = [];
const maxTokens: unknown[] = [];
const engine = recordingEngine((message) => {
  if (message.method === 'answer') {
    samplings.push(message.params.sampling);
    maxTokens.push(message.params.maxNewTokens);
  }
});

let services: AppServices;
let documentId: string;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'quire-conv-sampling-'));
  // An instruct model's prompt (the tiny model is a demo: its bare prompts have no place for instructions).
  const manifest = join(await installTinyModel(root), MANIFEST_FILE);
  writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), promptStyle: 'instructions' }));
  services = createAppServices({ mode: 'cli', root, engineProcess: engine });
  await callRouter(services, 'settings.update', { answerTokens: 16, contextTokens: 8192, answerStyle: { instructions: 'Be brief.', temperature: 0.7, topP: null, seed: 3 } });
  const text = Array.from({ length: 60 }, (_, i) => `Clause ${i + 1}: the tenant shall keep the garden tidy.`).join('\n');
  documentId = (await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode(text) })).id;
}, 120_000);

afterAll(async () => {
  await services?.close();
});

describe('a conversation’s own instructions and sampling', () => {
  it('reach the engine and the prompt for every question, follow-ups still from the cache; the app’s elsewhere', async () => {
    const own = await callRouter(services, 'chat.create', { documentIds: [documentId] });
    const set = await callRouter(services, 'chat.setStyle', { id: own.id, style: { instructions: 'Answer in French.', temperature: 0.2, topP: 0.5, seed: 42, answerTokens: 20 } });
    expect(set.style).toEqual({ instructions: 'Answer in French.', temperature: 0.2, topP: 0.5, seed: 42, answerTokens: 20 });
    const prompt = vi.spyOn(services.prompts, 'prompt');
    samplings.length = 0;
    maxTokens.length = 0;
    await callRouter(services, 'chat.ask', { conversationId: own.id, question: 'Who keeps the garden?' });
    const second = await callRouter(services, 'chat.ask', { conversationId: own.id, question: 'And the roof?' });
    expect(samplings).toEqual([{ temperature: 0.2, topP: 0.5, seed: 42 }, { temperature: 0.2, topP: 0.5, seed: 42 }]);
    expect(maxTokens).toEqual([20, 20]);
    expect(prompt.mock.calls.map((c) => c[2].at(-1)!.content)).toEqual(['Who keeps the garden?\n\nInstructions: Answer in French.', 'And the roof?\n\nInstructions: Answer in French.']);
    expect(second.messages.at(-1)!.stats!.documentSource).toBe('cache');
    // Each answer records what it was asked with, for its exports.
    expect(second.messages.at(-1)!.stats!.settings).toEqual({ instructions: 'Answer in French.', greedy: false, temperature: 0.2, topP: 0.5, seed: 42, maxTokens: 20 });

    // Another conversation follows the app's settings; so does this one once its own are cleared.
    const other = await callRouter(services, 'chat.create', { documentIds: [documentId] });
    await callRouter(services, 'chat.ask', { conversationId: other.id, question: 'Who keeps the garden?' });
    expect(samplings.at(-1)).toEqual({ temperature: 0.7, topP: 1, seed: 3 });
    expect(prompt.mock.calls.at(-1)![2].at(-1)!.content).toBe('Who keeps the garden?\n\nInstructions: Be brief.');
    expect((await callRouter(services, 'chat.setStyle', { id: own.id, style: null })).style).toBeNull();
    await callRouter(services, 'chat.ask', { conversationId: own.id, question: 'And the gate?' });
    expect(samplings.at(-1)).toEqual({ temperature: 0.7, topP: 1, seed: 3 });
  });

  it('refuses an out-of-range setting and an unknown conversation in words', async () => {
    const c = await callRouter(services, 'chat.create', { documentIds: [documentId] });
    await expect(callRouter(services, 'chat.setStyle', { id: c.id, style: { temperature: 3 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(callRouter(services, 'chat.setStyle', { id: 'no-such-conversation', style: null })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
