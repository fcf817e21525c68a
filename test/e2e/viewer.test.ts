// The viewer with a whole book in Chromium (real layout, so heights are measured, not estimated): a match at the
// far end is scrolled into view and marked, the end of the book is reached by scrolling, and only the blocks in
// view are in the DOM all along; the first screens are drawn before the rest of the text has arrived.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, shootLayouts, watchProblems, type PageProblems } from './browser.ts';
import { RpcClient } from './rpc-client.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const PARAGRAPHS = 12_000;
const text = Array.from({ length: PARAGRAPHS }, (_, i) => `Paragraph ${i}. The keeper trimmed the wick${i === PARAGRAPHS - 7 ? ' by the beacon' : ''} and wrote the night down in the log${i % 3 ? ', as every night before it, with the wind and the tide and the ships that passed' : ''}.`).join('\n\n');

let server: ServeProcess;
let browser: Browser;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  server = await startServe({ QUIRE_DEFAULT_MODEL: 'none' });
  const rpc = await RpcClient.open(server);
  const imported = await rpc.call('library.import', { name: 'logbook.txt', bytes: new TextEncoder().encode(text) }, 60_000);
  rpc.close();
  expect(imported.ok).toBe(true);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  problems = await watchProblems(page);
  await page.goto(server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// Whether the element lies inside the viewer's scrolled view, and the blocks drawn.
const view = (selector: string) =>
  page.evaluate((s) => {
    const scroller = document.querySelector('[data-testid=viewer-text]')!;
    const box = scroller.getBoundingClientRect();
    const target = scroller.querySelector(s)?.getBoundingClientRect();
    return { inView: !!target && target.top >= box.top && target.bottom <= box.bottom, blocks: scroller.querySelectorAll('.viewer-block').length };
  }, selector);

it('scrolls to a match at the far end, marked in view, and scrolls down to the last paragraph', { timeout: 60_000 }, async () => {
  await page.getByRole('button', { name: /Library/ }).click();
  await page.getByRole('button', { name: 'logbook', exact: true }).click();
  await page.getByText('Paragraph 0.').waitFor();
  expect((await view('p')).blocks).toBeLessThan(150);
  await page.getByLabel('Find in document').fill('beacon');
  await page.getByTestId('find-count').filter({ hasText: '1 of 1' }).waitFor();
  await page.locator('[data-testid=viewer-text] mark').waitFor();
  await expect.poll(() => view('mark')).toEqual({ inView: true, blocks: expect.any(Number) });
  expect(await page.locator('[data-testid=viewer-text] mark').evaluate((m) => m.closest('p')!.textContent!.slice(0, 16))).toBe(`Paragraph ${PARAGRAPHS - 7}.`);
  // Back to the start, then scrolled to the very end: the last paragraph is drawn at the bottom of the column.
  await page.getByLabel('Go to').selectOption('0');
  await page.getByText('Paragraph 0.').waitFor();
  await page.evaluate(async () => {
    const scroller = document.querySelector<HTMLElement>('[data-testid=viewer-text]')!;
    for (let i = 0; i < 400 && scroller.scrollTop + scroller.clientHeight < scroller.scrollHeight - 1; i++) {
      scroller.scrollTop = scroller.scrollHeight;
      await new Promise((r) => requestAnimationFrame(r));
    }
  });
  await page.getByText(`Paragraph ${PARAGRAPHS - 1}.`).waitFor({ timeout: 5000 });
  await expect.poll(() => view('.viewer-block:last-child p')).toMatchObject({ inView: true });
  expect((await view('p')).blocks).toBeLessThan(150);
  expect(problems.pageErrors).toEqual([]);
  expect(problems.console).toEqual([]);
});

it('draws the first screens before the rest of the text has arrived, and finds in all of it once it has', { timeout: 60_000 }, async () => {
  const held = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const heldProblems = await watchProblems(held);
  // Calls for more than the first screens' text wait in the page until the test sends them.
  await held.addInitScript(() => {
    const waiting: (() => void)[] = [];
    (window as unknown as { __sendRest: () => void }).__sendRest = () => waiting.splice(0).forEach((go) => go());
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data: string) {
      const call = JSON.parse(data) as { name: string; payload: { start: number; end: number } };
      if (call.name === 'library.text' && call.payload.end - call.payload.start > 100_000) waiting.push(() => send.call(this, data));
      else send.call(this, data);
    };
  });
  await held.goto(server.url);
  await held.getByRole('button', { name: /Library/ }).click();
  await held.getByRole('button', { name: 'logbook', exact: true }).click();
  await held.getByText('Paragraph 0.').waitFor();
  expect(await held.getByTestId('viewer-text').getAttribute('aria-busy')).toBe('true');
  await held.getByLabel('Find in document').fill('beacon');
  await held.getByTestId('find-count').filter({ hasText: 'searching…' }).waitFor();
  await shootLayouts(held, 'viewer-opening');
  await held.evaluate(() => (window as unknown as { __sendRest: () => void }).__sendRest());
  await held.getByTestId('find-count').filter({ hasText: '1 of 1' }).waitFor();
  expect(await held.locator('[data-testid=viewer-text] mark').evaluate((m) => m.closest('p')!.textContent!.slice(0, 16))).toBe(`Paragraph ${PARAGRAPHS - 7}.`);
  expect(await held.getByTestId('viewer-text').getAttribute('aria-busy')).toBe('false');
  expect(heldProblems.pageErrors).toEqual([]);
  expect(heldProblems.console).toEqual([]);
  await held.close();
});
