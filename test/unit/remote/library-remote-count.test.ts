// With only remote engines (no model installed here), the Library's token column and fit come from the server
// the user asks on, counted once per document in the background, instead of "—" (issue 26 point 8).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import type { LibraryEntry } from '../../../electron/common/contract.ts';
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

// Lists until every document has its count (each count in says library.changed), or gives up.
async function listCounted(app: AppServices): Promise<LibraryEntry[]> {
  for (let i = 0; i < 200; i++) {
    const entries = await callRouter(app, 'library.list', {});
    if (entries.every((e) => e.tokens !== null)) return entries;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the library never showed the remote counts');
}

const tokenizeCalls = (stub: VllmStub) => stub.requests.filter((r) => r.path === '/tokenize').length;

describe("the library's count with only remote engines", () => {
  it("is the server's count of the document as a conversation lays it out, with the fit on its context", async () => {
    const stub = await startVllmStub({ model: MODEL, maxModelLen: 4096 });
    stubs.push(stub);
    services = createAppServices({ mode: 'cli', root: mkdtempSync(join(tmpdir(), 'quire-library-remote-')) });
    const short = await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode('The tenant keeps the garden tidy. '.repeat(40)) });
    const long = await callRouter(services, 'library.import', { name: 'ledger.txt', bytes: new TextEncoder().encode('Paid the miller four shillings on Tuesday. '.repeat(600)) });
    // No model and no engine: nothing to count with.
    expect((await callRouter(services, 'library.list', {})).map((e) => e.tokens)).toEqual([null, null]);

    const changed: string[] = [];
    services.bus.subscribe((name) => void (name === 'library.changed' && changed.push(name)));
    const { engine } = await callRouter(services, 'engines.add', { name: 'Workstation', baseUrl: stub.baseUrl });
    const entries = await listCounted(services);
    expect(changed.length).toBeGreaterThanOrEqual(2);
    const choice = { engineId: engine.id, model: MODEL };
    for (const [doc, entry] of [[short, entries.find((e) => e.id === short.id)!], [long, entries.find((e) => e.id === long.id)!]] as const) {
      const plan = await callRouter(services, 'chat.fit', { documentIds: [doc.id], engine: choice });
      expect(entry.tokens).toBe(plan.documentTokens);
      expect(entry.fit).toEqual({ modelId: MODEL, modelName: `${MODEL} on ${new URL(stub.baseUrl).host}`, context: 4096, fits: plan.fits, reason: plan.reason });
    }
    expect(entries.find((e) => e.id === short.id)!.fit!.fits).toBe(true);
    expect(entries.find((e) => e.id === long.id)!.fit!.fits).toBe(false);

    // Listing again asks the server nothing more.
    const asked = tokenizeCalls(stub);
    await callRouter(services, 'library.list', {});
    await callRouter(services, 'library.list', {});
    expect(tokenizeCalls(stub)).toBe(asked);
  });

  it('lists at once while the server is down, and counts once it answers', async () => {
    const stub = await startVllmStub({ model: MODEL, maxModelLen: 4096 });
    stubs.push(stub);
    services = createAppServices({ mode: 'cli', root: mkdtempSync(join(tmpdir(), 'quire-library-remote-')) });
    await callRouter(services, 'library.import', { name: 'lease.txt', bytes: new TextEncoder().encode('The tenant keeps the garden tidy. '.repeat(40)) });
    await callRouter(services, 'engines.add', { name: 'Workstation', baseUrl: stub.baseUrl });
    stub.faults.push({ kind: 'status', status: 500 }, { kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const first = await callRouter(services, 'library.list', {});
    expect(first[0].tokens).toBeNull();
    expect((await listCounted(services))[0].tokens).toBeGreaterThan(40 * 6);
  });
});
