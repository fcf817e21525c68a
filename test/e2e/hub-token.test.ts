// A gated repository in the browser: the hub refuses without a token, the Models screen takes one, keeps it
// out of the page, and the install then works; removing it is one click.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyCheckpoint } from '../../models/tiny-checkpoint.ts';
import { openApp, type AppPage } from './app-page.ts';
import { ARTIFACTS } from './browser.ts';
import { startFakeHub } from './fake-hub.ts';

const REPO = 'quire-test/Gated-Llama';
const TOKEN = 'hf_gatedTestToken1234567890';
let hub: Awaited<ReturnType<typeof startFakeHub>>;
let app: AppPage;
let page: Page;
// Everything the page received over its WebSocket.
const received: string[] = [];

beforeAll(async () => {
  const checkpoint = mkdtempSync(join(tmpdir(), 'quire-hub-gated-'));
  await writeTinyCheckpoint(checkpoint, { hiddenSize: 128, layers: 2, originalContext: 1024, factor: 4 });
  hub = await startFakeHub(REPO, checkpoint, { token: TOKEN });
  app = await openApp({
    env: { HF_ENDPOINT: hub.endpoint, HF_TOKEN: '', QUIRE_DEFAULT_MODEL: 'none' },
    viewport: { width: 1280, height: 900 },
    heading: 'Models',
    watch: (p) => p.on('websocket', (ws) => ws.on('framereceived', (frame) => received.push(typeof frame.payload === 'string' ? frame.payload : frame.payload.toString('latin1')))),
  });
  page = app.page;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await hub?.close();
});

describe('a gated repository', () => {
  it('is refused without a token, with the field to give one right there', async () => {
    await page.getByLabel('Hugging Face repository').fill(REPO);
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: /refused access \(HTTP 401\).*access token/ }).waitFor();
    expect(await page.getByLabel('Access token', { exact: true }).isVisible()).toBe(true);
    expect(await page.getByText(/only your user account can read/).count()).toBe(1);
  });

  it('installs once the token is saved, which stays out of the page and in a 0600 file', async () => {
    await page.getByLabel('Access token', { exact: true }).fill(TOKEN);
    await page.getByRole('button', { name: 'Save token' }).click();
    await page.getByTestId('hub-token-state').waitFor();
    expect(await page.getByTestId('hub-token-state').innerText()).toMatch(/A token is saved \(in a file of the data folder that only your user account can read\)/);
    await page.screenshot({ path: join(ARTIFACTS, 'models-hub-token.png') });
    const secrets = join(app.server.dataDir, 'secrets.json');
    expect(readFileSync(secrets, 'utf8')).toContain(TOKEN);
    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await page.getByRole('list', { name: 'Installed models' }).getByText('Gated-Llama').waitFor({ timeout: 90_000 });
    expect(received.some((frame) => frame.includes(TOKEN))).toBe(false);
    expect(await page.content()).not.toContain(TOKEN);
  });

  it('removes the token', async () => {
    await page.getByRole('button', { name: 'Remove token' }).click();
    await page.getByLabel('Access token', { exact: true }).waitFor();
    expect(readFileSync(join(app.server.dataDir, 'secrets.json'), 'utf8')).not.toContain(TOKEN);
  });
});
