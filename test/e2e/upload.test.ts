// In Chromium, a page opened at http://localhost:PORT/#token=… (not the printed 127.0.0.1 link) connects, and a
// document larger than any frame (2 MB) is imported: it goes beside the socket as a streamed upload.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../electron/common/wire.ts';
import { launchChromium, watchProblems, type PageProblems } from './browser.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

let server: ServeProcess;
let browser: Browser;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  server = await startServe({ QUIRE_DEFAULT_MODEL: 'none' });
  browser = await launchChromium();
  page = await browser.newPage();
  problems = await watchProblems(page);
  await page.goto(server.url.replace('//127.0.0.1:', '//localhost:'));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it('imports a document larger than a frame from a page opened at localhost', async () => {
  await page.getByRole('button', { name: /Library/ }).click();
  await page.getByTestId('dropzone').waitFor();
  const text = '# Ledger\n\n' + 'The harbour master logged the ships at dawn. '.repeat(50_000);
  expect(text.length).toBeGreaterThan(2 * MAX_FRAME_BYTES);
  await page.setInputFiles('input[type=file]', { name: 'ledger.md', mimeType: 'text/markdown', buffer: Buffer.from(text) });
  await page.getByRole('cell', { name: 'Ledger', exact: true }).waitFor({ timeout: 60_000 });
  expect(problems.pageErrors).toEqual([]);
  expect(problems.console).toEqual([]);
});
