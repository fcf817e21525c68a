// The engine child process of a real `quire serve` is killed with SIGKILL (what the OOM killer or a crash
// in native code amounts to). The server must notice, tell the UI, say truthfully that nothing is loaded,
// start a new engine after a back-off, load the model again, and answer the next question with the
// document restored from its snapshot.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from './rpc-client.ts';
import { enginePids as serveEnginePids, startServe, type ServeProcess } from './serve-process.ts';

let server: ServeProcess;
let client: RpcClient;
let conversationId: string;

const DOCUMENT = Array.from({ length: 12 }, (_, i) => `Line ${i + 1}: the ferry to the island leaves at ${7 + i} o'clock.`).join('\n');

const enginePids = () => serveEnginePids(server);

async function ask(question: string) {
  return client.call('chat.ask', { conversationId, question }, 180_000);
}

beforeAll(async () => {
  server = await startServe({ QUIRE_DATA_DIR: mkdtempSync(join(tmpdir(), 'quire-e2e-engine-')) });
  client = await RpcClient.open(server);
  const imported = await client.call('library.import', { name: 'ferry.txt', bytes: new TextEncoder().encode(DOCUMENT) });
  expect(imported.error).toBeUndefined();
  const conversation = await client.call('chat.create', { documentIds: [imported.value.id] });
  conversationId = conversation.value.id;
}, 120_000);

afterAll(async () => {
  client?.close();
  await server?.stop();
});

describe('the engine process is replaced when it dies', () => {
  it('answers, survives SIGKILL of its engine, reloads the model and answers again from the snapshot', { timeout: 300_000 }, async () => {
    const first = await ask('When does the ferry leave?');
    expect(first.error).toBeUndefined();
    expect((await client.call('models.engine')).value.loaded).toBe(true);
    const [engine] = enginePids();
    expect(engine).toBeGreaterThan(0);

    const exited = client.nextEvent('models.engineState', (e) => e.state === 'exited');
    const restarted = client.nextEvent('models.engineState', (e) => e.state === 'restarted', 120_000);
    process.kill(engine, 'SIGKILL');
    const exit = await exited;
    expect(exit.reason).toMatch(/SIGKILL/);
    expect(exit.modelId).toBe('quire-nano');
    expect(exit.restartInMs).toBeGreaterThan(0);
    // Truthful while it is down: nothing loaded, and why.
    const down = (await client.call('models.engine')).value;
    expect(down.loaded).toBe(false);
    expect(down.reason).toMatch(/exited \(SIGKILL\)/);

    await restarted;
    const up = (await client.call('models.engine')).value;
    expect(up.loaded).toBe(true);
    expect(up.modelId).toBe('quire-nano');
    const [replacement] = enginePids();
    expect(replacement).toBeGreaterThan(0);
    expect(replacement).not.toBe(engine);

    const second = await ask('And the last ferry?');
    expect(second.error).toBeUndefined();
    const answer = second.value.messages.at(-1);
    expect(answer.role).toBe('assistant');
    // The new engine held nothing: the document came back from the snapshot the first question saved.
    expect(answer.stats.documentSource).toBe('snapshot');
  });

  it('backs off longer when the engine dies again soon after, and still recovers', { timeout: 300_000 }, async () => {
    const delays: number[] = [];
    for (let i = 0; i < 2; i++) {
      const exited = client.nextEvent('models.engineState', (e) => e.state === 'exited');
      const restarted = client.nextEvent('models.engineState', (e) => e.state === 'restarted', 120_000);
      process.kill(enginePids()[0], 'SIGKILL');
      delays.push((await exited).restartInMs);
      await restarted;
    }
    expect(delays[1]).toBeGreaterThan(delays[0]);
    const again = await ask('Is there a ferry at noon?');
    expect(again.error).toBeUndefined();
    expect(server.child.exitCode).toBeNull();
  });

  it('an ask while the engine is down waits for the restart instead of failing', { timeout: 300_000 }, async () => {
    const restarted = client.nextEvent('models.engineState', (e) => e.state === 'restarted', 120_000);
    process.kill(enginePids()[0], 'SIGKILL');
    await client.nextEvent('models.engineState', (e) => e.state === 'exited');
    const during = await ask('Which line mentions eight o\'clock?');
    expect(during.error).toBeUndefined();
    await restarted;
    expect((await client.call('models.engine')).value.loaded).toBe(true);
  });
});
