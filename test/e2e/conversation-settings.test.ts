// A conversation's own instructions and sampling end to end (issue 25 point 4): set in its panel in Chromium,
// used for its next question (which still reads the documents from the cache), and stated in its export.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askSample, openApp, type AppPage } from './app-page.ts';
import { ARTIFACTS, shootLayouts } from './browser.ts';

let app: AppPage;
let page: Page;

beforeAll(async () => {
  app = await openApp();
  page = app.page;
}, 120_000);

afterAll(() => app?.close());

const panel = () => page.getByRole('dialog', { name: 'Conversation settings' });

describe('conversation settings in the browser', () => {
  it('are saved as the conversation’s own, answer its next question from the cache, and are stated in its export', { timeout: 300_000 }, async () => {
    await askSample(page);
    await page.getByRole('button', { name: /^Conversation settings/ }).click();
    await panel().getByLabel('Instructions').fill('Answer in one sentence and quote the passage.');
    await panel().getByLabel('Temperature').fill('0');
    await panel().getByLabel('Seed').fill('7');
    await panel().getByLabel('Longest answer').selectOption('256');
    await shootLayouts(page, 'conversation-settings');
    await panel().getByRole('button', { name: 'Save for this conversation' }).click();
    await panel().waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: /^Conversation settings/ }).innerText()).toContain('its own');

    await page.getByLabel('Question').fill('Who keeps the lighthouse?');
    await page.keyboard.press('Enter');
    const second = page.locator('.message.assistant').nth(1);
    await second.locator('.message-foot').waitFor({ timeout: 200_000 });
    expect(await second.locator('.stats').innerText()).toMatch(/documents were already in memory/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('group', { name: 'Export conversation' }).getByRole('button', { name: 'Markdown' }).click()]);
    const path = join(ARTIFACTS, `conversation-settings-${download.suggestedFilename()}`);
    await download.saveAs(path);
    const markdown = readFileSync(path, 'utf8');
    expect(markdown).toContain('## Instructions and sampling');
    expect(markdown).toContain('Instructions: Answer in one sentence and quote the passage.');
    expect(markdown).toContain('Sampling: greedy (temperature 0: the likeliest word each time); seed 7');
    expect(markdown).toContain('Longest answer: 256 tokens');
    expect(markdown).toContain("These are the conversation's own settings.");
    // The first answer was asked with the app's settings, before these were saved.
    expect(markdown.match(/Asked with other settings — Instructions: none beyond Quire's own/g)).toHaveLength(1);
  });
});
