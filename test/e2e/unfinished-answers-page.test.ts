// Issue 23 point 3, in Chromium: an answer whose engine died partway (failed, with the engine's words) and one
// whose server died partway (interrupted, found at the next start) each show the text kept, say why it
// stopped, and offer Retry; screenshots at 1280×800 and 800×600 in both themes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openApp, type AppPage } from './app-page.ts';
import { shootLayouts } from './browser.ts';
import { RpcClient } from './rpc-client.ts';
import { enginePids, startServe, type ServeProcess } from './serve-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'quire-e2e-unfinished-'));
const DOCUMENT = Array.from({ length: 40 }, (_, i) => (i === 23 ? 'The passkey of the river is 40417.' : `Line ${i + 1}: the ferry to the island leaves at ${(i % 12) + 1} o'clock.`)).join('\n');
let server: ServeProcess | null = null;
let client: RpcClient | null = null;
let app: AppPage | null = null;

afterAll(async () => {
  client?.close();
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  await app?.close();
});

// Asks and, at the third piece of the answer (some text to keep), does `kill`; resolves once the call has ended.
async function askAndKill(conversationId: string, question: string, kill: () => void): Promise<void> {
  let pieces = 0;
  const third = client!.nextEvent('chat.delta', (d) => d.conversationId === conversationId && ++pieces === 3, 180_000);
  const asked = client!.call('chat.ask', { conversationId, question }, 300_000).catch(() => undefined);
  await third;
  kill();
  await asked;
}

describe('unfinished answers in the page', () => {
  it('show the text kept, say why they stopped, and offer Retry', { timeout: 400_000 }, async () => {
    // A pause per decoded token (engine-session.ts): the answer is still being written when a process dies.
    server = await startServe({ QUIRE_DATA_DIR: dataDir, QUIRE_TEST_STEP_DELAY_MS: '150' });
    client = await RpcClient.open(server);
    const imported = await client.call('library.import', { name: 'river.txt', bytes: new TextEncoder().encode(DOCUMENT) });
    expect(imported.error).toBeUndefined();
    const conversationId = (await client.call('chat.create', { documentIds: [imported.value.id] })).value.id;

    // The engine dies partway through the first answer: it is kept, failed, with the engine's words.
    const restarted = client.nextEvent('models.engineState', (e) => e.state === 'restarted', 180_000);
    await askAndKill(conversationId, 'What is the passkey of the river?', () => process.kill(enginePids(server!)[0], 'SIGKILL'));
    await restarted;
    // The server dies partway through the second: the next start finds it interrupted.
    const dead = server;
    const exited = new Promise((resolve) => dead.child.once('exit', resolve));
    await askAndKill(conversationId, 'Which line says it?', () => dead.child.kill('SIGKILL'));
    await exited;
    client.close();
    client = null;

    app = await openApp({ env: { QUIRE_DATA_DIR: dataDir } });
    const { page } = app;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Chat/ }).click();
    await page.locator('.conversation-item').first().click();
    const answers = page.locator('.message.assistant');
    await answers.nth(1).locator('.unfinished').waitFor();
    const failed = answers.nth(0);
    const interrupted = answers.nth(1);
    expect(await failed.locator('.unfinished').innerText()).toMatch(/^Failed — .*SIGKILL.*\.\s*Retry$/s);
    expect((await failed.locator('.answer-text').innerText()).length).toBeGreaterThan(0);
    expect(await interrupted.locator('.unfinished').innerText()).toMatch(/^Interrupted — the app stopped before this answer finished\.\s*Retry$/s);
    expect((await interrupted.locator('.answer-text').innerText()).length).toBeGreaterThan(0);
    for (const answer of [failed, interrupted]) {
      expect(await answer.getByRole('button', { name: 'Retry' }).isEnabled()).toBe(true);
      expect(await answer.getByRole('button', { name: 'Regenerate' }).count()).toBe(0);
    }
    // Where the app puts it: the newest answer ends above the question box.
    await shootLayouts(page, 'unfinished-answers', () => page.evaluate(() => document.querySelector('.thread')?.lastElementChild?.scrollIntoView({ block: 'end' })));
  });
});
