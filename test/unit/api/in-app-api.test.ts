// The API inside the app (Settings → API): started and stopped by Settings, on the app's own engine, whose
// queue makes an API request and a question from the app take turns instead of interleaving their prefills.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiStatus } from '../../../electron/common/contract.ts';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { apiTinyModel, freePort } from './api-process.ts';
import { callRouter } from '../router-call.ts';

let services: AppServices;
let documentId: string;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'quire-in-app-api-'));
  services = createAppServices({ mode: 'browser', root, modelDir: await apiTinyModel(), provider: 'cpu' });
  await callRouter(services, 'settings.update', { answerTokens: 16, contextTokens: 16_384 });
  const text = Array.from({ length: 300 }, (_, i) => `Clause ${i + 1}: the tenant shall keep the garden tidy and the gate shut.`).join('\n');
  documentId = (await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode(text) })).id;
}, 120_000);

afterAll(async () => {
  await services?.close();
});

describe('the in-app API', () => {
  it('starts when turned on in Settings, answers with its key only, and stops when turned off', async () => {
    expect(await callRouter(services, 'api.status', {})).toEqual({ state: 'off', url: null, key: null, error: null });
    const port = await freePort();
    const statuses: ApiStatus[] = [];
    const off = services.bus.subscribe((name, payload) => name === 'api.status' && statuses.push(payload as ApiStatus));
    await callRouter(services, 'settings.update', { apiServer: { enabled: true, port } });
    await expect.poll(() => statuses.at(-1)?.state, { timeout: 10_000 }).toBe('running');
    const status = await callRouter(services, 'api.status', {});
    expect(status.url).toBe(`http://127.0.0.1:${port}/v1`);
    expect(status.key).toMatch(/^quire-/);
    expect((await fetch(`${status.url}/models`)).status).toBe(401);
    const models = (await (await fetch(`${status.url}/models`, { headers: { authorization: `Bearer ${status.key}` } })).json()) as { data: { id: string }[] };
    expect(models.data).toHaveLength(1);
    await callRouter(services, 'settings.update', { apiServer: { enabled: false, port } });
    await expect.poll(() => statuses.at(-1)?.state, { timeout: 10_000 }).toBe('off');
    await expect(fetch(`${status.url}/models`)).rejects.toThrow();
    off();
  });

  it('says why it cannot start on a port in use', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await new Promise((go) => busy.once('listening', go));
    const { port } = busy.address() as { port: number };
    await callRouter(services, 'settings.update', { apiServer: { enabled: true, port } });
    await expect.poll(async () => (await callRouter(services, 'api.status', {})).state, { timeout: 10_000 }).toBe('failed');
    expect((await callRouter(services, 'api.status', {})).error).toBe(`port ${port} is already in use; choose another`);
    await callRouter(services, 'settings.update', { apiServer: { enabled: false, port } });
    busy.close();
  });

  it("makes an API request and the app's question take turns on the engine", async () => {
    const port = await freePort();
    await callRouter(services, 'settings.update', { apiServer: { enabled: true, port } });
    await expect.poll(async () => (await callRouter(services, 'api.status', {})).state, { timeout: 10_000 }).toBe('running');
    const { url, key } = await callRouter(services, 'api.status', {});
    const model = ((await (await fetch(`${url}/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { id: string }[] }).data[0].id;
    const events: string[] = [];
    const off = services.bus.subscribe((name, payload) => {
      const { phase } = payload as { phase: string };
      // Waiting for the engine ('loading') and tokenizing (in the text worker) are not the engine's work.
      if (name === 'chat.progress' && !['loading', 'tokenizing'].includes(phase) && events.at(-1) !== `chat ${phase}`) events.push(`chat ${phase}`);
    });
    const conversation = await callRouter(services, 'chat.create', { documentIds: [documentId] });
    // A long prompt through the API first; the app's question arrives while it is being read.
    const prompt = Array.from({ length: 400 }, (_, i) => `Line ${i}: the keeper trimmed the lamp at dusk.`).join('\n');
    const request = fetch(`${url}/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, prompt, max_tokens: 8, temperature: 0 }),
    }).then(async (response) => {
      events.push(`api done ${response.status}`);
      return (await response.json()) as { usage: { completion_tokens: number } };
    });
    // The API's request holds the engine once it has loaded the model (loading is its first step there).
    await expect.poll(() => services.runtime.loaded !== null, { timeout: 30_000, interval: 20 }).toBe(true);
    const answered = await callRouter(services, 'chat.ask', { conversationId: conversation.id, question: 'Who keeps the garden?' });
    const api = await request;
    off();
    expect(api, JSON.stringify(api)).toHaveProperty('usage.completion_tokens', 8);
    expect(answered.messages.at(-1)!.stats!.generatedTokens).toBe(16);
    // The question's work on the engine began only once the API's request was answered.
    expect(events[0]).toBe('api done 200');
    expect(events.slice(1).every((e) => e.startsWith('chat '))).toBe(true);
    await callRouter(services, 'settings.update', { apiServer: { enabled: false, port } });
  });

  it('ends answers at the longest answer Settings give, changed without a restart', async () => {
    const port = await freePort();
    const statuses: ApiStatus[] = [];
    const off = services.bus.subscribe((name, payload) => name === 'api.status' && statuses.push(payload as ApiStatus));
    await callRouter(services, 'settings.update', { apiServer: { enabled: true, port, maxTokens: 3 } });
    await expect.poll(() => statuses.at(-1)?.state, { timeout: 10_000 }).toBe('running');
    const { url, key } = await callRouter(services, 'api.status', {});
    const model = ((await (await fetch(`${url}/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { id: string }[] }).data[0].id;
    const complete = async () => {
      const response = await fetch(`${url}/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, prompt: 'The keeper trimmed the lamp at dusk and', max_tokens: 8, temperature: 0 }),
      });
      const body = (await response.json()) as { choices: { finish_reason: string }[]; usage: { completion_tokens: number } };
      return [body.usage.completion_tokens, body.choices[0].finish_reason];
    };
    expect(await complete()).toEqual([3, 'length']);
    const seen = statuses.length;
    await callRouter(services, 'settings.update', { apiServer: { enabled: true, port, maxTokens: 5 } });
    expect(await complete()).toEqual([5, 'length']);
    // The server was not stopped for it.
    expect(statuses.slice(seen).map((s) => s.state)).not.toContain('off');
    await expect(callRouter(services, 'settings.update', { apiServer: { enabled: true, port, maxTokens: 0 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await callRouter(services, 'settings.update', { apiServer: { enabled: false, port } });
    off();
  });
});
