// A server that reports no context (transformers serve): the user says what it runs the model with, and the fit
// check and everything after it read that; a server's own figure is never overridden (issue 26 point 4).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { parseTokens } from '../../../electron/common/format.ts';
import { startVllmStub, type VllmStub } from '../../fixtures/vllm-stub.ts';
import { callRouter } from '../router-call.ts';

const MODEL = 'quire/quire-nano';
const stubs: VllmStub[] = [];
let services: AppServices | null = null;
afterEach(async () => {
  await services?.close();
  services = null;
  for (const s of stubs.splice(0)) await s.close();
});

describe('a context stated by the user', () => {
  it('is what the fit reads where the server reports none, and is forgotten on request or with the engine', async () => {
    const stub = await startVllmStub({ kind: 'transformers', model: MODEL });
    stubs.push(stub);
    services = createAppServices({ mode: 'cli', root: mkdtempSync(join(tmpdir(), 'quire-stated-')) });
    const { engine, models } = await callRouter(services, 'engines.add', { name: 'Workstation', baseUrl: stub.baseUrl });
    expect(models).toEqual([expect.objectContaining({ id: MODEL, maxModelLen: null })]);
    const doc = await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode('The tenant keeps the garden tidy. '.repeat(40)) });
    const choice = { engineId: engine.id, model: MODEL };
    expect((await callRouter(services, 'chat.fit', { documentIds: [doc.id], engine: choice })).reason).toMatch(/does not report .*\(say the context it runs with in Settings → Engines\)$/);

    const stated = await callRouter(services, 'engines.setContext', { id: engine.id, model: MODEL, context: 8192 });
    expect(stated).toEqual([expect.objectContaining({ id: MODEL, maxModelLen: 8192, contextStated: true })]);
    expect(await callRouter(services, 'engines.models', { id: engine.id })).toEqual(stated);
    const fit = await callRouter(services, 'chat.fit', { documentIds: [doc.id], engine: choice });
    expect(fit).toMatchObject({ fits: true, context: 8192 });
    expect(fit.reason).toMatch(/^fits the 8K context of quire\/quire-nano on 127\.0\.0\.1/);
    // Too small a stated context for the documents: the fit says so in the same words as a reported one.
    await callRouter(services, 'engines.setContext', { id: engine.id, model: MODEL, context: 256 });
    expect(await callRouter(services, 'chat.fit', { documentIds: [doc.id], engine: choice })).toMatchObject({ fits: false, context: 256 });

    expect(await callRouter(services, 'engines.setContext', { id: engine.id, model: MODEL, context: null })).toEqual([expect.objectContaining({ maxModelLen: null })]);
    await callRouter(services, 'engines.setContext', { id: engine.id, model: MODEL, context: 8192 });
    await callRouter(services, 'engines.remove', { id: engine.id });
    const again = await callRouter(services, 'engines.add', { name: 'Workstation', baseUrl: stub.baseUrl });
    expect(again.models).toEqual([expect.objectContaining({ maxModelLen: null })]);
    // Bad figures are refused in a line.
    await expect(callRouter(services, 'engines.setContext', { id: again.engine.id, model: MODEL, context: 12 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(callRouter(services, 'engines.setContext', { id: 'nope', model: MODEL, context: 8192 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("never overrides a context the server reports", async () => {
    const stub = await startVllmStub({ model: MODEL, maxModelLen: 4096 });
    stubs.push(stub);
    services = createAppServices({ mode: 'cli', root: mkdtempSync(join(tmpdir(), 'quire-stated-')) });
    const { engine } = await callRouter(services, 'engines.add', { name: 'vLLM', baseUrl: stub.baseUrl });
    expect(await callRouter(services, 'engines.setContext', { id: engine.id, model: MODEL, context: 1_048_576 })).toEqual([
      expect.objectContaining({ maxModelLen: 4096 }),
    ]);
  });

  it('reads token counts as people type them', () => {
    expect(['131072', '131,072', '128K', '128k', ' 1M ', '4m', '12abc', '', '1.5M'].map(parseTokens)).toEqual([131072, 131072, 131072, 131072, 1_048_576, 4_194_304, null, null, null]);
  });
});
