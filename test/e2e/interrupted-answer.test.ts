// Issue 23 point 3: `quire serve` killed with SIGKILL at the first piece of an answer (a crash, the OOM killer,
// a power cut of the process) keeps the question and the part shown; the next start marks that answer
// interrupted, and Retry answers it again.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RpcClient } from './rpc-client.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const servers: ServeProcess[] = [];
const clients: RpcClient[] = [];

afterAll(async () => {
  for (const client of clients) client.close();
  for (const server of servers) await server.stop();
});

async function serve(dataDir: string): Promise<RpcClient> {
  // A pause per decoded token (engine-session.ts): the answer is still streaming when the server is killed.
  const server = await startServe({ QUIRE_DATA_DIR: dataDir, QUIRE_TEST_STEP_DELAY_MS: '100' });
  servers.push(server);
  const client = await RpcClient.open(server);
  clients.push(client);
  return client;
}

describe('the server dies mid-answer', () => {
  it('keeps the question and the part shown, marked interrupted, and Retry answers it again', { timeout: 300_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'quire-e2e-interrupted-'));
    const client = await serve(dataDir);
    const imported = await client.call('library.import', { name: 'ferry.txt', bytes: new TextEncoder().encode('The ferry to the island leaves at seven.') });
    expect(imported.error).toBeUndefined();
    const conversationId = (await client.call('chat.create', { documentIds: [imported.value.id] })).value.id;

    const first = client.nextEvent('chat.delta', (d) => d.conversationId === conversationId, 180_000);
    void client.call('chat.ask', { conversationId, question: 'When does the ferry leave?' }, 300_000).catch(() => undefined);
    const piece = (await first).text as string;
    const killed = servers.shift()!;
    const exited = new Promise((resolve) => killed.child.once('exit', resolve));
    killed.child.kill('SIGKILL');
    await exited;

    const again = await serve(dataDir);
    const after = (await again.call('chat.get', { id: conversationId })).value;
    expect(after.messages.map((m: any) => [m.role, m.status])).toEqual([
      ['user', undefined],
      ['assistant', 'interrupted'],
    ]);
    expect(after.messages[0].content).toBe('When does the ferry leave?');
    // The first piece was stored before it was shown.
    expect(after.messages[1].content.startsWith(piece)).toBe(true);
    expect(after.messages[1].content.length).toBeGreaterThan(0);

    await again.call('settings.update', { answerTokens: 8 });
    const retried = await again.call('chat.ask', { conversationId, replaceFrom: after.messages[1].id }, 240_000);
    expect(retried.error).toBeUndefined();
    expect(retried.value.messages.map((m: any) => [m.role, m.status])).toEqual([
      ['user', undefined],
      ['assistant', undefined],
    ]);
    expect(retried.value.messages[0].id).toBe(after.messages[0].id);
    expect(retried.value.messages[1].stats.generatedTokens).toBeGreaterThan(0);
  });
});
