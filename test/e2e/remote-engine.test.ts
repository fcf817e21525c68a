// Issue 16's end-to-end path in Chromium: the app (`quire serve`, with no model of its own) gets a remote engine
// through Settings → Engines that points at `quire serve --api` in another process with a tiny real model; a
// book is imported, its fit is checked against the server's context, a question is cancelled while the server
// reads the book (and the server stops working), the next is streamed, a follow-up is served from the server's
// prefix cache (its cached_tokens in the stats), and the conversation is exported naming the remote model.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEnglish } from '../../models/tokenizer/tiny.ts';
import { startApi, type ApiProcess } from '../unit/api/api-process.ts';
import { ARTIFACTS, launchChromium, watchProblems, type PageProblems } from './browser.ts';
import { startServe, type ServeProcess } from './serve-process.ts';
import { installTinyModel } from './tiny-model.ts';

const ENGINE_NAME = 'Quire API';
const MODEL = 'tiny-demo';
// About 12K tokens under the tiny tokenizer: seconds of reading on a CPU, inside the model's 16K context.
const BOOK = `The keeper's log\n\n${generateEnglish(6000, 16)}`;

let api: ApiProcess;
let app: ServeProcess;
let browser: Browser;
let page: Page;
let problems: PageProblems;
let host = '';
let documentTokens = 0;

beforeAll(async () => {
  const apiData = mkdtempSync(join(tmpdir(), 'quire-e2e-api-'));
  api = await startApi(await installTinyModel(apiData, MODEL), apiData);
  host = new URL(api.baseUrl).host;
  app = await startServe({ QUIRE_DEFAULT_MODEL: 'none' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 860 }, acceptDownloads: true });
  problems = await watchProblems(page);
  await page.goto(app.url);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await api?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const lastAnswer = () => page.locator('li.message.assistant:not(.streaming)').last();

// CPU seconds used by a process and its descendants (the API server and its engine process), from /proc.
function cpuSeconds(pid: number): number {
  let ticks = 0;
  const visit = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, fields 14 and 15 of proc(5).
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean)) visit(Number(child));
      }
    } catch {
      // a process that just exited
    }
  };
  visit(pid);
  return ticks / 100;
}

async function cpuOver(ms: number): Promise<number> {
  const before = cpuSeconds(api.child.pid!);
  await page.waitForTimeout(ms);
  return cpuSeconds(api.child.pid!) - before;
}

async function ask(question: string) {
  await page.getByLabel('Question').fill(question);
  await page.getByLabel('Question').press('Enter');
}

describe('a remote engine end to end', () => {
  it('adds the API server in Settings → Engines', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    // Short answers: the tiny model never stops on its own.
    await page.getByLabel('Longest answer').selectOption('256');
    const form = page.getByRole('form', { name: 'Add an engine' });
    await form.getByLabel('Name').fill(ENGINE_NAME);
    await form.getByLabel('Base URL').fill(api.baseUrl);
    await form.getByLabel('API key').fill(api.key);
    await form.getByRole('button', { name: 'Add engine' }).click();
    await page.getByRole('listitem', { name: ENGINE_NAME }).waitFor();
    expect(await page.getByRole('listitem', { name: ENGINE_NAME }).innerText()).toContain(`Documents are sent to ${host}`);
  });

  it('checks the fit of an imported book against the server context', async () => {
    await page.getByRole('button', { name: /Library/ }).click();
    await page.setInputFiles('input[type=file]', { name: 'keeper-log.txt', mimeType: 'text/plain', buffer: Buffer.from(BOOK) });
    const row = page.getByRole('row', { name: /keeper-log|keeper's log/i });
    await row.waitFor();
    await row.getByRole('button', { name: 'Ask' }).click();
    await page.getByRole('heading', { level: 1, name: 'New conversation' }).waitFor();
    await page.getByLabel('Answered by').selectOption({ label: `${MODEL} · 16K context` });
    await expect.poll(() => page.getByTestId('remote-note').innerText()).toBe(`Documents are sent to ${host}`);
    const fit = page.getByTestId('fit');
    await fit.waitFor();
    const text = await fit.innerText();
    expect(text).toMatch(/tokens — fits the 16K context/);
    expect(text).toContain(`the context of ${MODEL} on ${host}, counted by the server`);
    documentTokens = Number(/^([\d,]+) tokens/.exec(text)![1].replace(/,/g, ''));
    expect(documentTokens).toBeGreaterThan(8000);
    await shot('remote-new-conversation');
  });

  it('cancels while the server reads the book, and the server stops working', async () => {
    await ask('Who kept the light?');
    const progress = page.getByTestId('progress');
    await expect.poll(() => progress.innerText(), { timeout: 60_000 }).toMatch(/The server is reading [\d,]+ tokens/);
    // The server is busy reading: its processes use the CPU (a core or more, less on a shared machine).
    const busy = await cpuOver(1500);
    expect(busy).toBeGreaterThan(0.2);
    await shot('remote-reading');
    await progress.getByRole('button', { name: 'Cancel' }).click();
    await lastAnswer().getByText('Stopped before answering.').waitFor({ timeout: 30_000 });
    // And after the cancel, it is idle: the read was abandoned, not finished in the background.
    await page.waitForTimeout(300);
    const idle = await cpuOver(1500);
    console.log(`API server CPU over 1.5 s: ${busy.toFixed(2)} s reading, ${idle.toFixed(2)} s after the cancel`);
    expect(idle).toBeLessThan(Math.min(0.1, busy / 3));
    expect(await page.getByTestId('remote-note').innerText()).toBe(`Documents are sent to ${host}`);
  });

  it('streams an answer, and a follow-up comes from the server cache', async () => {
    await ask('What did the keeper write?');
    // Text arrives while the answer is still being written.
    await page.locator('li.message.assistant.streaming .answer-text').waitFor({ timeout: 120_000 });
    await page.getByTestId('progress').waitFor({ state: 'detached', timeout: 120_000 });
    const first = await lastAnswer().locator('.stats').innerText();
    expect(first).toContain(`${MODEL} on ${host}`);
    await shot('remote-first-answer');

    await ask('And the weather?');
    await page.getByTestId('progress').waitFor({ timeout: 30_000 });
    await page.getByTestId('progress').waitFor({ state: 'detached', timeout: 120_000 });
    const stats = await lastAnswer().locator('.stats').innerText();
    const [, cached, prompt] = /([\d,]+) of ([\d,]+) tokens came from the server's cache/.exec(stats)!.map((n) => Number(n.replace(/,/g, '')));
    // The whole book and the first exchange were on the server already.
    expect(cached).toBeGreaterThan(documentTokens);
    expect(prompt - cached).toBeLessThan(400);
    await shot('remote-follow-up');
  });

  it('exports the conversation naming the remote model and its host', async () => {
    const download = page.waitForEvent('download');
    await page.getByRole('group', { name: 'Export conversation' }).getByRole('button', { name: 'Markdown' }).click();
    const file = await download;
    const path = join(ARTIFACTS, 'remote-conversation.md');
    await file.saveAs(path);
    const markdown = readFileSync(path, 'utf8');
    expect(markdown).toContain(`model ${MODEL} on ${host}`);
    expect(markdown).toContain('And the weather?');
  });

  it('left no console errors or CSP violations', async () => {
    expect(problems.pageErrors).toEqual([]);
    expect(problems.console).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  });
});
