// Issue 23 point 3, in Chromium: an answer whose engine died partway (failed, with the engine's words) and one
// whose server died partway (interrupted, found at the next start) each show the text kept, say why it
// stopped, and offer Retry; a question asked just before the server is killed is not lost. Issue 25 point 8:
// Cancel during a long read. Screenshots at 1280×800 and 800×600 in both themes.
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
// Read in six chunks of 512 tokens (about 2,700 of quire-nano's 4,096, leaving the answer its room), none cached.
const HARBOUR = Array.from({ length: 75 }, (_, i) =>
  i === 57 ? 'The passkey of the harbour is 52816.' : `Berth ${i + 1}: the ${['ketch', 'sloop', 'schooner', 'barge'][i % 4]} from ${['Oban', 'Leith', 'Hull', 'Cork', 'Brest'][i % 5]} unloads at ${(i % 12) + 1} o'clock.`,
).join('\n');
// The page's server pauses this long after each chunk it reads and each token it writes (engine-session.ts), so a
// read lasts seconds: long enough to picture it and Cancel it on a loaded machine.
const PAGE_STEP_DELAY_MS = '1500';
let server: ServeProcess | null = null;
let client: RpcClient | null = null;
let app: AppPage | null = null;
let restarted: ServeProcess | null = null;

afterAll(async () => {
  client?.close();
  // Killed outright: the restarted server has been seen to hang in its SIGTERM shutdown after this file's flow.
  for (const killed of [server, restarted]) if (killed?.child.exitCode === null && killed.child.signalCode === null) killed.child.kill('SIGKILL');
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

    app = await openApp({ env: { QUIRE_DATA_DIR: dataDir, QUIRE_TEST_STEP_DELAY_MS: PAGE_STEP_DELAY_MS } });
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

  // Cancel stops the read where it is: the question stays, its answer "Stopped before answering." with Regenerate
  // (model-runtime.ts: a stop at any point resolves with the answer so far, marked stopped), no error, and the
  // box is free for the next question, which reads on from the chunks already read.
  it('Cancel during a long read keeps the question, stopped, and the next question is answered', { timeout: 240_000 }, async () => {
    const { page } = app!;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Library/ }).click();
    await page.setInputFiles('input[type=file]', { name: 'harbour.txt', mimeType: 'text/plain', buffer: Buffer.from(HARBOUR) });
    await page.getByRole('row', { name: /harbour/ }).getByRole('button', { name: 'Ask' }).click();
    await page.getByTestId('fit').filter({ hasText: 'fits the' }).waitFor();
    const question = 'What is the passkey of the harbour?';
    const box = page.getByLabel('Question', { exact: true });
    await box.fill(question);
    await box.press('Enter');
    const progress = page.getByTestId('progress');
    const reading = /^Reading ([\d,]+) of ([\d,]+) tokens/;
    await progress.getByText(reading).waitFor({ timeout: 120_000 });
    await shootLayouts(page, 'cancel-reading');
    // Still reading once pictured: the Cancel below lands in the read, not in the answer.
    const [, done, total] = reading.exec(await progress.innerText())!;
    expect(Number(done.replace(/,/g, ''))).toBeLessThan(Number(total.replace(/,/g, '')));
    await progress.getByRole('button', { name: 'Cancel' }).click();
    const stopped = page.locator('.message.assistant').first();
    await stopped.locator('.message-foot').waitFor();
    await progress.waitFor({ state: 'detached' });
    expect(await page.locator('.message.user .bubble').allInnerTexts()).toEqual([question]);
    expect(await stopped.getByText('Stopped before answering.', { exact: true }).isVisible()).toBe(true);
    expect(await stopped.getByRole('button', { name: 'Regenerate' }).isEnabled()).toBe(true);
    // Read in part only: not "read in full", nor "Documents ready" (both said so before).
    expect(await stopped.locator('.stats').innerText()).toMatch(/^stopped while reading the documents · /);
    expect(await page.getByTestId('documents-ready').count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await box.isEnabled()).toBe(true);
    await shootLayouts(page, 'cancel-reading-cancelled');
    const again = 'Which passkey does the harbour have?';
    await box.fill(again);
    await box.press('Enter');
    const answer = page.locator('.message.assistant').nth(1);
    await answer.locator('.message-foot').waitFor({ timeout: 180_000 });
    expect(await page.locator('.message.user .bubble').allInnerTexts()).toEqual([question, again]);
    expect(await answer.locator('.unfinished').count()).toBe(0);
    expect(await answer.innerText()).not.toMatch(/Stopped/);
    console.log(`after Cancel at ${done} of ${total}: ${await answer.locator('.stats').innerText()}`);
  });

  // Issue 23 point 3 as a user meets it: the server killed 250 ms after Enter. A page cannot reconnect by itself
  // (a restarted server has a new token): it says its link is from an earlier run, and the new link opens the
  // conversation with the question stored (its answer interrupted), or, where the server never acknowledged it,
  // the old page had put it back in the box marked Not sent.
  it('keeps a question asked 250 ms before the server is killed', { timeout: 240_000 }, async () => {
    const { page, server: killed } = app!;
    const question = 'Which berth does the barge from Hull use?';
    const box = page.getByLabel('Question', { exact: true });
    await box.fill(question);
    const exited = new Promise((resolve) => killed.child.once('exit', resolve));
    await box.press('Enter');
    await new Promise((resolve) => setTimeout(resolve, 250));
    killed.child.kill('SIGKILL');
    await exited;
    await page.getByRole('alert').filter({ hasText: 'Quire has stopped' }).waitFor({ timeout: 15_000 });
    const notSent = (await box.inputValue()) === question;
    if (notSent) expect(await page.locator('#not-sent').innerText()).toMatch(/^Not sent — /);
    else expect(await box.inputValue()).toBe('');

    restarted = await startServe({ QUIRE_DATA_DIR: dataDir, QUIRE_TEST_STEP_DELAY_MS: PAGE_STEP_DELAY_MS }, ['--port', new URL(killed.origin).port]);
    await page.getByRole('heading', { level: 1, name: 'This link is from an earlier run of Quire' }).waitFor({ timeout: 20_000 });
    await page.goto(restarted.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Chat/ }).click();
    await page.locator('.conversation-item', { hasText: 'passkey of the harbour' }).click();
    const questions = page.locator('.message.user .bubble');
    await questions.first().waitFor();
    console.log(notSent ? 'the killed server had not acknowledged the question' : 'the killed server had stored the question');
    if (notSent) return;
    expect((await questions.allInnerTexts()).at(-1)).toBe(question);
    const cut = page.locator('.message.assistant').last();
    expect(await cut.locator('.unfinished').innerText()).toMatch(/^Interrupted — the app stopped before this answer finished\.\s*Retry$/s);
  });
});
