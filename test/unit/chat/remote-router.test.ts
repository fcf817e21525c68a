// The app's own wiring for remote engines, through the router as the UI calls it: an engine added by URL, its
// model's fit, a conversation on it with the server's cache in the stats, the self-check, and the export.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { startVllmStub, type VllmStub } from '../../fixtures/vllm-stub.ts';
import { callRouter } from '../router-call.ts';

const MODEL = 'nvidia/Llama-3.1-8B-UltraLong-1M-Instruct';
const LEASE = Array.from({ length: 60 }, (_, i) => `Clause ${i + 1}: the tenant shall keep the garden tidy.`).join('\n');

let stub: VllmStub;
let services: AppServices;
let engine: { engineId: string; model: string };
let documentId: string;

beforeAll(async () => {
  stub = await startVllmStub({ model: MODEL, maxModelLen: 4096, reply: 'The tenant: "the tenant shall keep the garden tidy".' });
  services = createAppServices({ mode: 'cli', root: mkdtempSync(join(tmpdir(), 'quire-remote-router-')) });
  const added = await callRouter(services, 'engines.add', { name: 'Stub', baseUrl: stub.baseUrl });
  engine = { engineId: added.engine.id, model: MODEL };
  documentId = (await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode(LEASE) })).id;
});

afterAll(async () => {
  await services?.close();
  await stub?.close();
});

describe('remote engines through the app router', () => {
  it('checks the fit, answers with the server cache in the stats, and exports naming the host', async () => {
    const fit = await callRouter(services, 'chat.fit', { documentIds: [documentId], engine });
    expect(fit).toMatchObject({ fits: true, context: 4096, server: { host: `127.0.0.1:${stub.port}`, tokensExact: true, tokenSource: 'the server' } });
    const { id } = await callRouter(services, 'chat.create', { documentIds: [documentId], engine });
    await callRouter(services, 'chat.ask', { conversationId: id, question: 'Who keeps the garden?' });
    const conversation = await callRouter(services, 'chat.ask', { conversationId: id, question: 'And the roof?' });
    const stats = conversation.messages[3].stats!;
    expect(stats.remote).toMatchObject({ host: `127.0.0.1:${stub.port}`, model: MODEL });
    expect(stats.remote!.cachedTokens).toBeGreaterThan(fit.documentTokens - 16);
    expect(conversation.messages[3].quotes[0]).toMatchObject({ verified: true, documentId });
    const exported = await callRouter(services, 'export.conversation', { conversationId: id, format: 'md' });
    expect(new TextDecoder().decode(exported.bytes)).toContain(`model ${MODEL} on 127.0.0.1:${stub.port}`);
  });

  it('runs the self-check on the remote model up to its context', async () => {
    const progress: number[] = [];
    const unsubscribe = services.bus.subscribe((name, payload) => {
      if (name === 'models.selfCheckProgress') progress.push((payload as { done: number }).done);
    });
    const result = await callRouter(services, 'models.selfCheck', { engine });
    unsubscribe();
    expect(result.modelId).toBe(MODEL);
    expect(result.cells.map((c) => c.length)).toEqual([512, 1024, 2048, 4096].flatMap((l) => [l, l, l, l, l]));
    expect(progress).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(result.heatmapSvg).toContain(`127.0.0.1:${stub.port}`);
  });

  it('refuses a model the server does not serve', async () => {
    await expect(callRouter(services, 'chat.create', { documentIds: [documentId], engine: { ...engine, model: 'other' } })).rejects.toMatchObject({ code: 'REMOTE_MODEL_MISSING' });
    await expect(callRouter(services, 'models.selfCheck', { engine: { ...engine, model: 'other' } })).rejects.toMatchObject({ code: 'REMOTE_MODEL_MISSING' });
  });
});
