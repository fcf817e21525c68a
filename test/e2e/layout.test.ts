// The app at the smallest size it is used at (browser mode can be any size; the desktop window's minimum is
// 900×600): what the user needs on each screen is on screen, without scrolling sideways.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDocument } from '../../electron/node/sample-document.ts';
import { askSample, openApp, type AppPage } from './app-page.ts';
import { ARTIFACTS } from './browser.ts';
import { RpcClient } from './rpc-client.ts';

// The least height the conversation's messages get at 800×600: room for a question and most of an answer.
const MIN_THREAD_HEIGHT = 320;

let app: AppPage;
let page: Page;

beforeAll(async () => {
  app = await openApp({ viewport: { width: 800, height: 600 } });
  page = app.page;
}, 120_000);

afterAll(() => app?.close());

const inViewport = async (locator: ReturnType<Page['locator']>) => {
  const box = (await locator.boundingBox())!;
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= 800 && box.y + box.height <= 600;
};

describe('at 800×600', () => {
  it('the library row keeps Ask and Delete on screen, with no sideways scrolling', async () => {
    await askSample(page);
    await page.getByRole('button', { name: /Library/ }).click();
    const row = page.getByRole('row').nth(1);
    await row.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'layout-800-library.png') });
    expect(await inViewport(row.getByRole('button', { name: 'Ask' }))).toBe(true);
    expect(await inViewport(row.getByRole('button', { name: /^Delete / }))).toBe(true);
    const overflow = await page.evaluate(() => [...document.querySelectorAll('*')].filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'hidden' && getComputedStyle(e).overflowX !== 'visible').map((e) => e.className));
    expect(overflow).toEqual([]);
    // A table cell stays a table cell (a flex cell misaligns the row's line).
    expect(await row.locator('td').first().evaluate((td) => getComputedStyle(td).display)).toBe('table-cell');
  }, 240_000);

  it('the conversation gets the height, and the newest answer\'s buttons are not under the question box', async () => {
    await page.getByRole('button', { name: /Chat/ }).click();
    await page.locator('.conversation-item').first().click();
    const answer = page.locator('.message.assistant').last();
    await answer.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'layout-800-chat.png') });
    const composer = (await page.locator('.composer').boundingBox())!;
    // Opened, the conversation shows its newest answer whole, above the question box.
    for (const name of ['Copy', 'Regenerate', 'Export answer']) {
      const button = (await answer.getByRole('button', { name }).boundingBox())!;
      expect(button.y + button.height, name).toBeLessThanOrEqual(composer.y);
      expect(button.x + button.width, name).toBeLessThanOrEqual(800);
    }
    // One answer in any format, its formats in place and on screen.
    await answer.getByRole('button', { name: 'Export answer' }).click();
    const formats = answer.getByRole('group', { name: 'Export answer as' });
    for (const name of ['Markdown', 'HTML', 'PDF', 'Word', 'JSON']) expect(await inViewport(formats.getByRole('button', { name })), name).toBe(true);
    const [download] = await Promise.all([page.waitForEvent('download'), formats.getByRole('button', { name: 'HTML' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.html$/);
    expect(readFileSync(await download.path(), 'utf8')).toContain(sampleDocument().questions[0].question);
    // From the top, what is left for the messages between the conversation's header and the question box.
    await page.locator('.chat-pane').evaluate((pane) => pane.scrollTo(0, 0));
    const head = (await page.locator('.thread-head').boundingBox())!;
    const box = (await page.locator('.composer').boundingBox())!;
    expect(box.y - (head.y + head.height)).toBeGreaterThanOrEqual(MIN_THREAD_HEIGHT);
  });

  it('with more than three conversations the search box is one line high and the list stays on screen', async () => {
    const rpc = await RpcClient.open(app.server);
    const [sample] = (await rpc.call('library.list')).value;
    for (let i = 0; i < 4; i++) expect((await rpc.call('chat.create', { documentIds: [sample.id] })).ok).toBe(true);
    rpc.close();
    await page.reload();
    await page.getByRole('button', { name: /Chat/ }).click();
    const search = page.getByRole('searchbox', { name: 'Find a conversation' });
    await search.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'layout-800-conversation-search.png') });
    const box = (await search.boundingBox())!;
    expect(box.height).toBeLessThanOrEqual(40);
    expect(await inViewport(search)).toBe(true);
    expect(await inViewport(page.locator('.conversation-item').nth(4))).toBe(true);
    const sideways = await page.evaluate(() => document.scrollingElement!.scrollWidth > window.innerWidth || [...document.querySelectorAll('.conversation-list, .chat-layout')].some((e) => e.scrollWidth > e.clientWidth + 1));
    expect(sideways).toBe(false);
  });
});
