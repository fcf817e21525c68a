import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyCheckpoint } from '../../models/tiny-checkpoint.ts';
import { ARTIFACTS, launchChromium, watchProblems, type PageProblems } from './browser.ts';
import { startFakeHub } from './fake-hub.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const REPO = 'quire-test/Tiny-Llama';
let hub: Awaited<ReturnType<typeof startFakeHub>>;
let server: ServeProcess;
let browser: Browser;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  const checkpoint = mkdtempSync(join(tmpdir(), 'quire-hub-repo-'));
  await writeTinyCheckpoint(checkpoint, { hiddenSize: 128, layers: 2, originalContext: 1024, factor: 4 });
  hub = await startFakeHub(REPO, checkpoint);
  // A machine with no model at all (not even the bundled demo), as a user who goes straight to the catalog.
  server = await startServe({ HF_ENDPOINT: hub.endpoint, QUIRE_DEFAULT_MODEL: 'none' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  problems = await watchProblems(page);
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await hub?.close();
});

describe('installing a model from the hub in the browser', () => {
  it('downloads with progress, converts, and lists the model as installed and in use', async () => {
    // The KV precision chosen in Settings is the one the conversion bakes in.
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByLabel(/INT8/).check();
    await page.getByRole('button', { name: /Models/ }).click();
    await page.getByLabel('Hugging Face repository').fill(REPO);
    await page.getByLabel('Precision for the repository').selectOption('fp32');
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    const progress = page.getByTestId('install-quire-test--tiny-llama');
    await progress.getByText(/Downloading [\d.]+ [kKMG]?B of [\d.]+ [kKMG]?B/).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'models-installing.png') });
    const installed = page.getByRole('list', { name: 'Installed models' });
    await installed.getByText('Tiny-Llama').waitFor({ timeout: 60_000 });
    expect(await installed.getByRole('button', { name: 'In use' }).count()).toBe(1);
    expect(await installed.innerText()).toMatch(/fp32/);
    expect(await installed.innerText()).toMatch(/INT8 · [\d.]+ [kKMG]?B\/token/);
    expect(await page.getByTestId('current-model').innerText()).toBe('Tiny-Llama');
    await page.screenshot({ path: join(ARTIFACTS, 'models-installed.png') });
    // The download's speed is kept: the catalog's download times now use this computer's line.
    const here = page.getByTestId('here-ultralong-8b-1m');
    expect(await here.innerText()).toContain('assumed until a download is measured');
    await page.getByRole('button', { name: /Library/ }).click();
    await page.getByRole('button', { name: /Models/ }).click();
    await here.getByText(/measured here/).waitFor();
  });

  it('refuses an unknown repository with a clear message, keeping what is installed', async () => {
    await page.getByLabel('Hugging Face repository').fill('quire-test/missing');
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'no repository quire-test/missing on the Hugging Face hub' }).waitFor();
    expect(await page.getByRole('list', { name: 'Installed models' }).getByText('Tiny-Llama').count()).toBe(1);
  });

  it('removes the model', async () => {
    await page.getByRole('button', { name: 'Remove Tiny-Llama' }).click();
    // Asked once, in place, before anything is deleted.
    const ask = page.getByRole('group', { name: 'Remove Tiny-Llama from this computer?' });
    await ask.getByRole('button', { name: 'Remove' }).click();
    await page.getByTestId('no-models').waitFor();
    expect(problems.pageErrors).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  });
});
