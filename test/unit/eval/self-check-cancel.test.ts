// Cancel during a self-check (issue 25 point 7), through the app's router as the UI calls it, on a remote
// engine's model: the run ends CANCELLED part-way, and Cancel with nothing running says so.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { startVllmStub, type VllmStub } from '../../fixtures/vllm-stub.ts';
import { callRouter } from '../router-call.ts';

const MODEL = 'nvidia/Llama-3.1-8B-UltraLong-1M-Instruct';
let stub: VllmStub;
let services: AppServices;
let engine: { engineId: string; model: string };

beforeAll(async () => {
  stub = await startVllmStub({ model: MODEL, maxModelLen: 4096, reply: 'The passkey is 12345.' });
  services = createAppServices({ mode: 'cli', root: mkdtempSync(join(tmpdir(), 'quire-self-check-cancel-')) });
  const added = await callRouter(services, 'engines.add', { name: 'Stub', baseUrl: stub.baseUrl });
  engine = { engineId: added.engine.id, model: MODEL };
});

afterAll(async () => {
  await services?.close();
  await stub?.close();
});

describe('cancelling the self-check', () => {
  it('stops a running check after the cell it is on, which then fails CANCELLED', async () => {
    expect(await callRouter(services, 'models.cancelSelfCheck', {})).toEqual({ cancelled: false });
    const cells: number[] = [];
    const unsubscribe = services.bus.subscribe((name, payload) => {
      if (name !== 'models.selfCheckProgress') return;
      cells.push((payload as { done: number }).done);
      if (cells.length === 3) void callRouter(services, 'models.cancelSelfCheck', {});
    });
    await expect(callRouter(services, 'models.selfCheck', { engine })).rejects.toMatchObject({ code: 'CANCELLED' });
    unsubscribe();
    expect(cells.length).toBeGreaterThanOrEqual(3);
    expect(cells.length).toBeLessThan(20);
    // Nothing runs now, and a new check runs whole.
    expect(await callRouter(services, 'models.cancelSelfCheck', {})).toEqual({ cancelled: false });
    expect((await callRouter(services, 'models.selfCheck', { engine })).cells).toHaveLength(20);
  });
});
