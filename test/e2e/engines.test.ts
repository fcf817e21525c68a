// Settings → Engines in Chromium against the real `quire serve` and a vLLM stub: an engine is added only once
// the server lists its models with that key, the key never comes back to the page, the models show their
// context, plain http to another machine asks for consent, and a removed engine is gone after a restart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, watchProblems, type PageProblems } from './browser.ts';
import { startServe, type ServeProcess } from './serve-process.ts';
import { startVllmStub, type VllmStub } from '../fixtures/vllm-stub.ts';

const KEY = 'sk-e2e-3d5b7a-never-shown';
let server: ServeProcess;
let stub: VllmStub;
let browser: Browser;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  stub = await startVllmStub({ apiKey: KEY, maxModelLen: 2_097_152, model: 'nvidia/Llama-3.1-8B-UltraLong-2M-Instruct' });
  server = await startServe();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  problems = await watchProblems(page);
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1, name: /Library|Models/ }).waitFor();
  await page.keyboard.press('Control+4');
  await page.getByRole('form', { name: 'Add an engine' }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await stub?.close();
});

describe('Settings → Engines in the browser', () => {
  it('refuses a wrong key with the server’s answer and stores nothing', async () => {
    const form = page.getByRole('form', { name: 'Add an engine' });
    await form.getByPlaceholder('Lab cluster').fill('Lab cluster');
    await form.getByPlaceholder('https://gpu.example.org:8000/v1').fill(`http://127.0.0.1:${stub.port}`);
    await form.getByPlaceholder('optional').fill('not-the-key');
    await form.getByRole('button', { name: 'Add engine' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/refused the API key \(401\)/);
    expect(await page.getByRole('listitem', { name: 'Lab cluster' }).count()).toBe(0);
  });

  it('adds the engine with the right key and shows its model and context', async () => {
    const form = page.getByRole('form', { name: 'Add an engine' });
    await form.getByPlaceholder('optional').fill(KEY);
    await form.getByRole('button', { name: 'Add engine' }).click();
    const row = page.getByRole('listitem', { name: 'Lab cluster' });
    await row.getByText('nvidia/Llama-3.1-8B-UltraLong-2M-Instruct').waitFor();
    expect(await row.getByText('2M tokens').count()).toBe(1);
    expect(await row.textContent()).toContain(`Documents are sent to 127.0.0.1:${stub.port}`);
    expect(await page.content()).not.toContain(KEY);
    expect(stub.requests.at(-1)!.authorization).toBe(`Bearer ${KEY}`);
    // Kept in the 0600 secrets file of the data folder (no keychain in the browser mode), not in the database.
    expect(readFileSync(join(server.dataDir, 'secrets.json'), 'utf8')).toContain(KEY);
    expect(readFileSync(join(server.dataDir, 'quire.db')).includes(KEY)).toBe(false);
  });

  it('asks before plain http to another machine', async () => {
    const form = page.getByRole('form', { name: 'Add an engine' });
    await form.getByPlaceholder('Lab cluster').fill('Office box');
    await form.getByPlaceholder('https://gpu.example.org:8000/v1').fill('http://10.20.30.40:8000/v1');
    await form.getByRole('checkbox', { name: 'Allow plain http to this machine' }).waitFor();
    expect(await form.getByRole('button', { name: 'Add engine' }).isDisabled()).toBe(true);
    await form.getByRole('button', { name: 'Add engine' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'settings-engines.png'), fullPage: true });
    await page.getByRole('radio', { name: 'Dark' }).click();
    await form.getByRole('button', { name: 'Add engine' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'settings-engines-dark.png'), fullPage: true });
    await page.getByRole('radio', { name: 'System' }).click();
    await form.getByPlaceholder('Lab cluster').fill('');
    await form.getByPlaceholder('https://gpu.example.org:8000/v1').fill('');
  });

  it('removes the engine after a confirmation, for good', async () => {
    const row = page.getByRole('listitem', { name: 'Lab cluster' });
    await row.getByRole('button', { name: 'Remove Lab cluster' }).click();
    await row.getByRole('group', { name: 'Remove Lab cluster and its key?' }).getByRole('button', { name: 'Remove' }).click();
    await row.waitFor({ state: 'detached' });
    await page.reload();
    await page.getByRole('heading', { level: 1, name: /Library|Models/ }).waitFor();
    await page.keyboard.press('Control+4');
    await page.getByText('No engines yet.').waitFor();
    expect(readFileSync(join(server.dataDir, 'secrets.json'), 'utf8')).not.toContain(KEY);
    expect(problems.pageErrors).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  });
});
