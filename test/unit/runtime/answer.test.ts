// The one answer() path: how many calls a question costs the engine's process (each a message across
// processes), and a document's saved prefix serving the API, through the app's own services.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { ApiEngine } from '../../../electron/node/api/api-engine.ts';
import type { EngineRequest } from '../../../electron/node/engine/engine-protocol.ts';
import { recordingEngine } from './recording-engine.ts';
import { conversationMessages } from '../../../electron/node/runtime/prompt.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { callRouter } from '../router-call.ts';
import { withInstructions } from '../../../electron/node/runtime/prompt.ts';
import type { ChatProgress } from '../../../electron/common/contract.ts';
import { progressFraction, progressLabel } from '../../../renderer/src/features/chat/progress.ts';

const calls: EngineRequest['method'][] = [];
const samplings: unknown[] = [];
// Called as each message goes out (a test that stops a request at a given step).
let onEngineCall: (method: EngineRequest['method']) => void = () => undefined;
const countingEngine = recordingEngine((message) => {
  if (message.method !== 'cancel') calls.push(message.method);
  if (message.method === 'answer') samplings.push(message.params.sampling);
  onEngineCall(message.method);
});

let root: string;
let services: AppServices;
let documentId: string;
const text = Array.from({ length: 150 }, (_, i) => `Clause ${i + 1}: the tenant shall keep the garden tidy.`).join('\n');

beforeAll(async () => {
  // A checkpoint after every chunk of a read (the engine's process inherits it), so a stop at 60% finds one.
  process.env.QUIRE_CHECKPOINT_COST_FACTOR = '0';
  root = mkdtempSync(join(tmpdir(), 'quire-answer-'));
  await installTinyModel(root);
  services = createAppServices({ mode: 'cli', root, engineProcess: countingEngine });
  await callRouter(services, 'settings.update', { answerTokens: 16, contextTokens: 8192 });
  documentId = (await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode(text) })).id;
}, 120_000);

afterAll(async () => {
  await services?.close();
});

describe('answer()', () => {
  it('costs a first question two engine calls (load, answer) and a follow-up one', async () => {
    const { id } = await callRouter(services, 'chat.create', { documentIds: [documentId] });
    calls.length = 0;
    const first = await callRouter(services, 'chat.ask', { conversationId: id, question: 'Who keeps the garden?' });
    expect(first.messages[1].stats).toMatchObject({ documentSource: 'prefill', stopped: false });
    expect(calls).toEqual(['load', 'answer']);
    calls.length = 0;
    // Nothing is saved from a prefix the engine holds, so the follow-up does not measure the disk's room for it.
    const room = vi.spyOn(services.runtime.store, 'room');
    const second = await callRouter(services, 'chat.ask', { conversationId: id, question: 'And the roof?' });
    expect(second.messages[3].stats!.documentSource).toBe('cache');
    expect(calls).toEqual(['answer']);
    expect(room).not.toHaveBeenCalled();
    room.mockRestore();
  });

  it("serves an API request in a new process from the document's saved prefix", async () => {
    await services.close();
    // A new process: the engine holds nothing, the document's prefix is on disk from the question above.
    services = createAppServices({ mode: 'cli', root, engineProcess: countingEngine });
    const model = services.activeModel();
    const api = new ApiEngine({ runtime: services.runtime, text: services.text, root, model: () => model, settings: services.engineSettings });
    const document = services.documents.get(documentId)!;
    const messages = conversationMessages([document], [{ role: 'user', content: 'Who trims the hedge?' }], model.promptStyle);
    const prompt = await api.chatTokens(messages, true);
    let cached = -1;
    calls.length = 0;
    await api.complete(
      { prompt, maxTokens: 4, sampling: { greedy: true }, stop: [], signal: new AbortController().signal, onPrefilled: (n) => (cached = n) },
      () => undefined,
    );
    expect(calls).toEqual(['load', 'answer']);
    // All but the question's own tokens came from the document's snapshot.
    const documentTokens = (await callRouter(services, 'library.list', {})).find((d) => d.id === documentId)!.tokens!;
    expect(cached).toBeGreaterThanOrEqual(documentTokens - 16);
    expect(prompt.length - cached).toBeLessThan(40);
  });

  it('reads on from the last checkpoint after a read is stopped part-way', async () => {
    const long = Array.from({ length: 200 }, (_, i) => `Line ${i + 1}: the lamp was trimmed and the log written.`).join('\n');
    const { id } = await callRouter(services, 'library.import', { name: 'lamps.txt', bytes: new TextEncoder().encode(long) });
    const conversation = await callRouter(services, 'chat.create', { documentIds: [id] });
    let stopped = false;
    const off = services.bus.subscribe((name, payload) => {
      const p = payload as { phase: string; done: number; total: number };
      if (name === 'chat.progress' && p.phase === 'prefill' && p.done >= p.total * 0.6 && !stopped) {
        stopped = true;
        void callRouter(services, 'chat.stop', { conversationId: conversation.id });
      }
    });
    const first = await callRouter(services, 'chat.ask', { conversationId: conversation.id, question: 'Who trimmed the lamp?' });
    off();
    expect(stopped).toBe(true);
    expect(first.messages.at(-1)!.stats!.stopped).toBe(true);
    // Asked again (the engine's cache was given to another document meanwhile): the checkpoint is restored.
    const other = await callRouter(services, 'chat.create', { documentIds: [documentId] });
    await callRouter(services, 'chat.ask', { conversationId: other.id, question: 'Who keeps the garden?' });
    const events: ChatProgress[] = [];
    const listen = services.bus.subscribe((name, payload) => name === 'chat.progress' && events.push(payload as ChatProgress));
    const again = await callRouter(services, 'chat.ask', { conversationId: conversation.id, question: 'Who trimmed the lamp?' });
    listen();
    const stats = again.messages.at(-1)!.stats!;
    expect(stats.documentSource).toBe('snapshot');
    expect(stats.prefilledTokens).toBeLessThan(stats.documentTokens! * 0.6);
    // The user is told the reading resumes, from where, and the bar starts there rather than at zero.
    const restoring = events.find((e) => e.phase === 'restoring')!;
    const resumed = stats.promptTokens! - stats.prefilledTokens!;
    expect(restoring).toMatchObject({ done: resumed, total: stats.documentTokens, resumedFrom: resumed });
    expect(progressLabel(restoring)).toBe(`Resuming the reading from ${Math.floor((100 * resumed) / stats.documentTokens!)}%…`);
    const reading = events.filter((e) => e.phase === 'prefill');
    expect(reading.length).toBeGreaterThan(0);
    expect(reading.every((e) => e.resumedFrom === resumed)).toBe(true);
    expect(progressFraction(reading[0])).toBeGreaterThanOrEqual(resumed / stats.promptTokens!);
    expect(progressLabel(reading.at(-1)!)).toMatch(new RegExp(`^Reading ${stats.promptTokens!.toLocaleString()} of ${stats.promptTokens!.toLocaleString()} tokens \\(resumed from \\d+%\\)`));
  });

  it("answers with Settings' sampling (temperature, top-p, seed), and instructions after an instruct model's question", async () => {
    await callRouter(services, 'settings.update', { answerStyle: { instructions: 'Answer in French.', temperature: 0.7, topP: 0.8, seed: 5 } });
    const { id } = await callRouter(services, 'chat.create', { documentIds: [documentId] });
    samplings.length = 0;
    await callRouter(services, 'chat.ask', { conversationId: id, question: 'Who keeps the garden?' });
    expect(samplings).toEqual([{ temperature: 0.7, topP: 0.8, seed: 5 }]);
    await callRouter(services, 'settings.update', { answerStyle: { instructions: '', temperature: 0, topP: null, seed: null } });
    await callRouter(services, 'chat.ask', { conversationId: id, question: 'And the roof?' });
    expect(samplings.at(-1)).toEqual({ greedy: true });
    const turns = [{ role: 'user' as const, content: 'Who?' }];
    expect(withInstructions(turns, 'Answer in French.', 'instructions')).toEqual([{ role: 'user', content: 'Who?\n\nInstructions: Answer in French.' }]);
    // quire-nano's bare format has no place for them.
    expect(withInstructions(turns, 'Answer in French.', 'bare')).toBe(turns);
  });

  it('starts no answer when the request is stopped while the model loads (the engine drops a cancel while idle)', async () => {
    await services.close();
    services = createAppServices({ mode: 'cli', root, engineProcess: countingEngine });
    const model = services.activeModel();
    const api = new ApiEngine({ runtime: services.runtime, text: services.text, root, model: () => model, settings: services.engineSettings });
    const controller = new AbortController();
    onEngineCall = (method) => {
      if (method === 'load') controller.abort();
    };
    calls.length = 0;
    const answered = vi.fn();
    const outcome = await api
      .complete({ prompt: [20, 21, 22], maxTokens: 4000, sampling: { greedy: true }, stop: [], signal: controller.signal }, answered)
      .then(() => null, (error: Error & { code?: string }) => error.code);
    onEngineCall = () => undefined;
    expect(outcome).toBe('CANCELLED');
    expect(answered).not.toHaveBeenCalled();
    expect(calls).toEqual(['load']);
  });
});
