import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../unit/documents/fixtures.ts';
import { ARTIFACTS, launchChromium, watchProblems, type PageProblems } from './browser.ts';
import { startServe, type ServeProcess } from './serve-process.ts';
import { installTinyModel } from './tiny-model.ts';

let server: ServeProcess;
let browser: Browser;
let page: Page;
let problems: PageProblems;
// Tokens of the documents part of the prompt, as the fit check reports them.
let documentTokens = 0;

const SRT = `1
00:00:01,000 --> 00:00:04,000
<v Alice>The quarterly numbers are in.

2
00:00:05,500 --> 00:00:09,000
<v Bob>Revenue grew by <b>twelve</b> percent.
`;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'quire-e2e-chat-'));
  await installTinyModel(dataDir);
  // A pause per decoded token (engine-session.ts): the answer streams slowly enough that Stop lands mid-answer
  // however fast or loaded the machine is.
  server = await startServe({ QUIRE_DATA_DIR: dataDir, QUIRE_TEST_STEP_DELAY_MS: '20' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 860 }, acceptDownloads: true });
  problems = await watchProblems(page);
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
// Enough text per page (about a thousand tokens in all) that re-reading it would show in the counts.
const logbook = (page: number) => Array.from({ length: 30 }, (_, i) => [`Log entry ${page}.${i + 1}: the weather was calm and the light was kept burning all night.`]);
const pdfBytes = () =>
  Buffer.from(
    makePdf(
      [
        { paragraphs: [['Annual report of the Lighthouse Company.'], ['The lamp was replaced in March after', 'a storm damaged the lens.'], ...logbook(1)] },
        { paragraphs: [['Visitors rose to four thousand in the summer.'], ['The keeper retired in October.'], ...logbook(2)] },
      ],
      { title: 'Lighthouse annual report' },
    ),
  );

async function saveDownload(download: Download): Promise<Buffer> {
  const path = join(ARTIFACTS, download.suggestedFilename());
  await download.saveAs(path);
  return readFileSync(path);
}

describe('the analyst flow in Chromium with a tiny real model', () => {
  it('imports a PDF and an SRT, with token counts and whether each fits the model at its real context', async () => {
    await page.setInputFiles('input[type=file]', [
      { name: 'lighthouse.pdf', mimeType: 'application/pdf', buffer: pdfBytes() },
      { name: 'meeting.srt', mimeType: 'application/x-subrip', buffer: Buffer.from(SRT) },
    ]);
    const pdfRow = page.getByRole('row', { name: /Lighthouse annual report/ });
    const srtRow = page.getByRole('row', { name: /meeting/ });
    await pdfRow.waitFor();
    await srtRow.waitFor();
    for (const row of [pdfRow, srtRow]) {
      const cells = await row.getByRole('cell').allInnerTexts();
      expect(Number(cells[4].replace(/[^\d]/g, ''))).toBeGreaterThan(10);
      // The tiny model's own context (16K), with the verdict and its reason one hover away.
      expect(cells[5]).toMatch(/^✓ 16K$/);
      expect(await row.locator('.fit-badge').getAttribute('title')).toMatch(/^Tiny demo model: fits the 16K context/);
    }
    expect((await pdfRow.getByRole('cell').allInnerTexts())[2]).toBe('2');
    await shot('analyst-library');
  });

  it('asks over both documents, streams the answer and stops it', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByLabel('Longest answer').selectOption('8192');
    await page.getByRole('button', { name: /Library/ }).click();
    await page.getByRole('row', { name: /Lighthouse annual report/ }).getByRole('button', { name: 'Ask' }).click();
    await page.getByRole('heading', { level: 1, name: 'New conversation' }).waitFor();
    await page.getByRole('checkbox', { name: /meeting/ }).check();
    const fit = page.getByTestId('fit').filter({ hasText: 'fits the' });
    await fit.waitFor();
    documentTokens = Number(/([\d,]+) tokens — fits/.exec(await fit.innerText())![1].replace(/,/g, ''));
    expect(documentTokens).toBeGreaterThan(1000);
    await shot('analyst-new-conversation');
    await page.getByLabel('Question').fill('When was the lamp replaced?');
    await page.keyboard.press('Enter');
    await page.getByTestId('progress').waitFor();
    const streamed = page.locator('.message.assistant.streaming .answer-text');
    await streamed.waitFor();
    const partial = await streamed.innerText();
    expect(partial.length).toBeGreaterThan(0);
    await shot('analyst-streaming');
    await page.getByRole('button', { name: 'Stop' }).click();
    const answer = page.locator('.message.assistant').first();
    await answer.locator('.message-foot').waitFor();
    expect(await answer.innerText()).toMatch(/Stopped/);
    expect(await answer.innerText()).toMatch(/documents read in full and cached for follow-ups/);
  });

  it('answers a follow-up without re-reading the documents', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByLabel('Longest answer').selectOption('256');
    await page.getByRole('button', { name: /Chat/ }).click();
    await page.getByLabel('Question').fill('Who retired in October?');
    await page.keyboard.press('Enter');
    const second = page.locator('.message.assistant').nth(1);
    await second.locator('.message-foot').waitFor({ timeout: 120_000 });
    const foot = await second.locator('.stats').innerText();
    expect(foot).toMatch(/documents were already in memory/);
    const processed = Number(/([\d,]+) tokens processed/.exec(foot)![1].replace(/,/g, ''));
    const promptTokens = Number(/([\d,]+) prompt tokens/.exec((await second.locator('.stats').getAttribute('title'))!)![1].replace(/,/g, ''));
    // Only the question, the stopped first answer and the new question are processed; not one document token.
    expect(promptTokens).toBeGreaterThan(documentTokens);
    expect(processed).toBeLessThanOrEqual(promptTokens - documentTokens);
    await expect(page.getByTestId('documents-ready').isVisible()).resolves.toBe(true);
    await shot('analyst-follow-up');
  });

  it('exports the conversation to Markdown, DOCX, PDF and JSON with its questions and document metadata', async () => {
    const exportAs = async (label: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('group', { name: 'Export conversation' }).getByRole('button', { name: label }).click()]);
      return { name: download.suggestedFilename(), bytes: await saveDownload(download) };
    };
    const md = await exportAs('Markdown');
    expect(md.name).toMatch(/\.md$/);
    const markdown = md.bytes.toString('utf8');
    expect(markdown).toContain('> When was the lamp replaced?');
    expect(markdown).toContain('> Who retired in October?');
    expect(markdown).toContain('**Lighthouse annual report** (PDF, 2 pages');
    expect(markdown).toContain('Stopped before the answer was complete.');

    const json = JSON.parse((await exportAs('JSON')).bytes.toString('utf8'));
    expect(json.format).toBe('quire-export');
    expect(json.exchanges.map((x: { question: string }) => x.question)).toEqual(['When was the lamp replaced?', 'Who retired in October?']);
    expect(json.documents.map((d: { title: string }) => d.title).sort()).toEqual(['Lighthouse annual report', 'meeting']);

    const docx = unzipSync(new Uint8Array((await exportAs('Word')).bytes));
    const body = strFromU8(docx['word/document.xml']);
    expect(body).toContain('Who retired in October?');
    expect(body).toContain('Lighthouse annual report');

    const pdf = (await exportAs('PDF')).bytes;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(2000);
  });

  it('opens the document viewer at a page from the conversation', async () => {
    await page.locator('.doc-chips').getByRole('button', { name: 'Lighthouse annual report' }).click();
    const viewer = page.getByRole('dialog', { name: /Lighthouse annual report/ });
    await viewer.waitFor();
    expect(await viewer.getByTestId('viewer-text').innerText()).toMatch(/Page 1[\s\S]*lamp was replaced in March/i);
    await viewer.getByRole('button', { name: 'Next ›' }).click();
    expect(await viewer.getByTestId('viewer-text').innerText()).toMatch(/Page 2[\s\S]*keeper retired in October/i);
    await shot('analyst-viewer');
    // The same page as printed, drawn by pdf.js from the kept original.
    await viewer.getByRole('radio', { name: 'Page' }).click();
    await viewer.locator('canvas.pdf-page[aria-label="Page 2 as printed"]').waitFor();
    await page.waitForFunction(() => {
      const c = document.querySelector('canvas.pdf-page') as HTMLCanvasElement | null;
      if (!c || c.width === 0) return false;
      const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i + 3] > 0 && pixels[i] < 128) ink++;
      return ink > 500;
    });
    await shot('analyst-viewer-page');
    // Drawn at the page's own aspect, not stretched by the panel.
    const [drawn, page2] = await page.evaluate(() => {
      const c = document.querySelector('canvas.pdf-page') as HTMLCanvasElement;
      return [c.clientHeight / c.clientWidth, c.height / c.width];
    });
    expect(Math.abs(drawn - page2)).toBeLessThan(0.01);
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
  });

  it('runs the self-check at the chosen context and shows its heatmap', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByLabel('Context length').selectOption('4096');
    await page.getByRole('button', { name: /Models/ }).click();
    await page.getByRole('button', { name: 'Run self-check' }).click();
    await page.getByTestId('self-check-progress').getByText(/of 20 cells/).waitFor({ timeout: 120_000 });
    const result = page.getByTestId('self-check-result');
    await result.waitFor({ timeout: 180_000 });
    // A random-weight model finds nothing: the figure must say so rather than invent a score.
    expect(await result.locator('strong').innerText()).toMatch(/^\d+% of needles found$/);
    // The chart: a cell for each of the 20 length × depth pairs, and the colour scale beside them.
    expect(await result.getByTestId('niah-cell').count()).toBe(20);
    expect(await result.getByRole('img').getByText('Document length (tokens)').count()).toBe(1);
    expect(await page.getByTestId('engine-status').innerText()).toMatch(/free of/);
    await shot('models-self-check');
  });

  it('keeps the conversation after a reload, and the page stayed clean', async () => {
    await page.reload();
    await page.getByRole('button', { name: /Chat/ }).click();
    await page.locator('.conversation-item', { hasText: 'When was the lamp replaced?' }).click();
    await page.locator('.message.assistant').nth(1).waitFor();
    expect(await page.locator('.message.user').count()).toBe(2);
    await shot('analyst-history');
    expect(problems.pageErrors).toEqual([]);
    expect(problems.console).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  });
});
