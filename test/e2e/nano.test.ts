import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../electron/common/random.ts';
import { entryPoints } from '../../electron/node/entry-points.ts';
import { factSentence, fillerSentences, NAMES, passkey, question } from '../../models/nano/data.ts';
import { loadTokenizer } from '../../models/tokenizer/tokenizer.ts';
import { SAMPLE_TITLE, sampleDocument } from '../../electron/node/sample-document.ts';
import { ARTIFACTS, launchChromium, watchProblems } from './browser.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

// The offline default end to end: a fresh data folder, `quire serve` installs the bundled quire-nano, and the
// UI answers a question about a fact buried at half depth of a ~3K-token document with the right number.
const nanoShipped = existsSync(join(entryPoints.nanoCheckpoint, 'config.json'));
const DOCUMENT_TOKENS = 3000;

let server: ServeProcess;
let browser: Browser;
let page: Page;

describe.skipIf(!nanoShipped)('quire-nano, the offline default, through the UI', () => {
  beforeAll(async () => {
    server = await startServe({ QUIRE_DATA_DIR: mkdtempSync(join(tmpdir(), 'quire-e2e-nano-')) });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(server.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens on the library with quire-nano installed and labelled as a demonstration model', async () => {
    await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
    expect(await page.getByRole('note').innerText()).toMatch(/tiny demonstration model/);
    expect(await page.getByTestId('current-model').innerText()).toBe('quire-nano');
  });

  it('offers a sample book on first start, whose suggested question gets the right answer', { timeout: 240_000 }, async () => {
    const sample = sampleDocument();
    await page.getByRole('button', { name: 'Try a sample document' }).click();
    await page.getByRole('heading', { level: 1, name: 'New conversation' }).waitFor();
    await page.locator('[data-testid=fit].good').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'sample-offer.png') });
    await page.getByRole('group', { name: 'Questions to try' }).getByRole('button', { name: sample.questions[0].question }).click();
    const answer = page.locator('.message.assistant').first();
    await answer.locator('.message-foot').waitFor({ timeout: 200_000 });
    expect(await answer.locator('.answer-text').innerText()).toContain(sample.questions[0].answer);
    await page.screenshot({ path: join(ARTIFACTS, 'sample-answer.png') });
    // The book is in the library with its chapters.
    await page.getByRole('button', { name: /Library/ }).click();
    await page.getByRole('row', { name: new RegExp(SAMPLE_TITLE) }).waitFor();
  });

  it('finds a passkey buried at 50% depth of a ~3K-token document', { timeout: 240_000 }, async () => {
    const tokenizer = await loadTokenizer(entryPoints.nanoCheckpoint);
    const random = mulberry32(20261127);
    const name = NAMES[3];
    const key = passkey(random);
    const filler: string[] = [];
    while (tokenizer.encode(filler.join(' ')).length < DOCUMENT_TOKENS) filler.push(...fillerSentences(random, 20));
    filler.splice(Math.floor(filler.length / 2), 0, factSentence(name, key));
    const text = filler.join(' ');
    await page.setInputFiles('input[type=file]', { name: 'haystack.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
    const row = page.getByRole('row', { name: /haystack/ });
    await row.waitFor();
    await row.getByRole('button', { name: 'Ask' }).click();
    await page.getByTestId('fit').waitFor();
    await page.getByLabel('Question').fill(question(name));
    await page.keyboard.press('Enter');
    const answer = page.locator('.message.assistant').first();
    await answer.locator('.message-foot').waitFor({ timeout: 200_000 });
    expect(await answer.locator('.answer-text').innerText()).toContain(key);
    await page.screenshot({ path: join(ARTIFACTS, 'nano-answer.png') });
  });
});
