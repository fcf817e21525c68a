// A scanned book imported through the Library in Chromium against the real `quire serve`: the language of
// the scans follows the browser's locale and can be changed, the import row says which page OCR has reached,
// a long import can be cancelled, and the imported book is listed with its OCR note.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentModel } from '../../electron/common/document.ts';
import { makeScannedPdf } from '../unit/documents/scan-fixtures.ts';
import { ARTIFACTS, launchChromium, watchProblems, type PageProblems } from './browser.ts';
import { RpcClient } from './rpc-client.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const PAGES = [
  [['The harbour master kept a ledger of every ship that entered the bay.', 'Each entry names the vessel, its captain and its cargo.']],
  [['In the winter of that year the lamp was replaced twice.', 'The second lamp came from the foundry in the north.']],
  [['The keeper wrote that the new lamp burned brighter than any before it.']],
  [['Visitors climbed the stairs on Sundays to see the lens turn.']],
];

let server: ServeProcess;
let browser: Browser;
let page: Page;
let problems: PageProblems;
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `ocr-${name}.png`) });

beforeAll(async () => {
  server = await startServe();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 800 }, locale: 'de-DE' });
  problems = await watchProblems(page);
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('importing a scanned PDF', () => {
  it('reads it by OCR with page progress, and lists it with its OCR note', async () => {
    const language = page.getByRole('combobox', { name: 'Language of scanned pages' });
    // The browser says German: scans are read in German unless the user says otherwise.
    expect(await language.inputValue()).toBe('deu');
    await language.selectOption({ label: 'English' });
    const pdf = Buffer.from(await makeScannedPdf(PAGES.map((scan) => ({ scan }))));
    await page.setInputFiles('input[type=file]', [{ name: 'harbour-scan.pdf', mimeType: 'application/pdf', buffer: pdf }]);
    const state = page.locator('.import', { hasText: 'harbour-scan.pdf' }).locator('.import-state');
    await state.filter({ hasText: /^OCR page [2-4] of 4…$/ }).waitFor({ timeout: 60_000 });
    await shot('progress');
    const row = page.getByRole('row', { name: /harbour-scan/ });
    await row.waitFor({ timeout: 120_000 });
    await expect.poll(() => row.locator('.doc-note').textContent()).toMatch(/^OCR Pages 1–4 read by OCR \(eng\): mean confidence \d+%(, lowest \d+% on page \d)?$/);
    await shot('listed');
    const client = await RpcClient.open(server);
    const [summary] = (await client.call<Array<{ id: string }>>('library.list')).value!;
    const doc = (await client.call<DocumentModel>('library.get', { id: summary.id })).value!;
    expect(doc.text).toContain('The second lamp came from the foundry in the north.');
    expect(doc.anchors.filter((a) => a.kind === 'page').map((a) => a.label)).toEqual(['1', '2', '3', '4']);
    client.close();
  }, 180_000);

  it('cancels an OCR import from its row', async () => {
    const pdf = Buffer.from(await makeScannedPdf(Array.from({ length: 8 }, (_, i) => ({ scan: PAGES[i % PAGES.length] }))));
    await page.setInputFiles('input[type=file]', [{ name: 'long-scan.pdf', mimeType: 'application/pdf', buffer: pdf }]);
    const job = page.locator('.import', { hasText: 'long-scan.pdf' });
    await job.locator('.import-state').filter({ hasText: /^OCR page/ }).waitFor({ timeout: 60_000 });
    await job.getByRole('button', { name: 'Cancel importing long-scan.pdf' }).click();
    // The row goes (a cancel is no failure to report) and nothing was added to the library.
    await job.waitFor({ state: 'detached', timeout: 30_000 });
    await shot('cancelled');
    expect(await page.getByRole('row', { name: /long-scan/ }).count()).toBe(0);
    const client = await RpcClient.open(server);
    expect((await client.call<unknown[]>('library.list')).value).toHaveLength(1);
    client.close();
    expect(problems.pageErrors).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  }, 120_000);
});
