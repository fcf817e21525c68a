// A served model that is also installed here is laid out remotely as it is locally: the app's wiring finds it by
// its id or the last part of a hub-style name.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { startVllmStub, type VllmStub } from '../../fixtures/vllm-stub.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { callRouter } from '../router-call.ts';

let stub: VllmStub;
let services: AppServices;
afterAll(async () => {
  await services?.close();
  await stub?.close();
});

describe('the prompt style of a served model installed here', () => {
  it("lays a bare model's prompt out without the instructions, as the local path does", async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-remote-style-'));
    await installTinyModel(root, 'tiny-demo');
    // The server names it as a hub repository and does not describe its prompt style.
    stub = await startVllmStub({ model: 'someone/tiny-demo', maxModelLen: 8192, reply: 'The garden.' });
    services = createAppServices({ mode: 'cli', root });
    const added = await callRouter(services, 'engines.add', { name: 'Stub', baseUrl: stub.baseUrl });
    const { id: documentId } = await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode('The tenant keeps the garden.') });
    const { id } = await callRouter(services, 'chat.create', { documentIds: [documentId], engine: { engineId: added.engine.id, model: 'someone/tiny-demo' } });
    await callRouter(services, 'chat.ask', { conversationId: id, question: 'Who keeps the garden?' });
    const completion = stub.requests.find((r) => r.path.endsWith('/chat/completions'))!;
    const messages = completion.body!.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['user']);
    expect(messages[0].content).toBe('The tenant keeps the garden.\n\nWho keeps the garden?');
  }, 120_000);
});
