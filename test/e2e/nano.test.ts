import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../electron/common/random.ts';
import { entryPoints } from '../../electron/node/entry-points.ts';
import { factSentence, fillerSentences, NAMES, passkey, question } from '../../models/passkey-text.ts';
import { loadTokenizer } from '../../models/tokenizer/tokenizer.ts';
import { SAMPLE_TITLE, sampleDocument } from '../../electron/node/sample-document.ts';
import { ARTIFACTS, launchChromium, watchProblems } from './browser.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

// The offline default end to end: a fresh data folder, `quire serve` installs the bundled quire-nano, and the
// UI answers a question about a fact buried at half depth of a ~3K-token document with the right number and the
// sentence it is in, quoted verbatim — verified by the app and linked to the highlighted passage.
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

  it('offers a sample book on first start, whose suggested question gets the right answer with a verified quote that opens the passage', { timeout: 240_000 }, async () => {
    const sample = sampleDocument();
    const expected = sample.questions[0];
    await page.getByRole('button', { name: 'Try a sample document' }).click();
    await page.getByRole('heading', { level: 1, name: 'New conversation' }).waitFor();
    await page.locator('[data-testid=fit].good').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'sample-offer.png') });
    await page.getByRole('group', { name: 'Questions to try' }).getByRole('button', { name: expected.question }).click();
    const answer = page.locator('.message.assistant').first();
    await answer.locator('.message-foot').waitFor({ timeout: 200_000 });
    // quire-nano's whole answer, word for word: the digits, then the sentence of the book in quotes.
    // (Up to the closing quote mark: the quote's link label follows the quoted text.)
    const upToClose = expected.answer.slice(0, -1);
    expect((await answer.locator('.answer-text').innerText()).slice(0, upToClose.length)).toBe(upToClose);
    const quote = answer.locator('.quote.verified');
    expect(await quote.count()).toBe(1);
    expect(await quote.innerText()).toContain(expected.quote);
    expect(await answer.locator('.quote-summary').innerText()).toBe('1 of 1 quotes verified');
    const cite = quote.getByRole('button', { name: new RegExp(expected.chapter) });
    await page.screenshot({ path: join(ARTIFACTS, 'sample-answer.png') });
    // The quote's link opens the book at its chapter with exactly the quoted sentence highlighted.
    await cite.click();
    const viewer = page.getByRole('dialog', { name: `Document: ${SAMPLE_TITLE}` });
    await viewer.waitFor();
    const mark = viewer.locator('mark');
    await mark.first().waitFor();
    expect((await mark.allInnerTexts()).join('')).toBe(expected.quote);
    expect(await mark.first().isVisible()).toBe(true);
    expect(await viewer.getByTestId('viewer-text').innerText()).toContain(expected.chapter);
    await page.screenshot({ path: join(ARTIFACTS, 'sample-quote-viewer.png') });
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
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
    expect(/\d+/.exec(await answer.locator('.answer-text').innerText())?.[0]).toBe(key);
    expect(await answer.locator('.quote.verified').innerText()).toContain(factSentence(name, key));
    expect(await answer.locator('.quote-summary').innerText()).toBe('1 of 1 quotes verified');
    await page.screenshot({ path: join(ARTIFACTS, 'nano-answer.png') });
  });
});
