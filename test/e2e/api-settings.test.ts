// Settings → API for other apps, as a user meets it in the browser mode: turned on, it shows the address and key
// to copy, and another app (here a plain HTTP client) reaches the app's own model with them; turned off, it is gone.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type AppPage } from './app-page.ts';
import { ARTIFACTS } from './browser.ts';
import { freePort } from '../unit/api/api-process.ts';

let app: AppPage;

beforeAll(async () => {
  app = await openApp();
}, 120_000);

afterAll(() => app?.close());

describe('the API for other apps', () => {
  it('starts from Settings, gives its address and key, serves the model to another app, and stops', async () => {
    const { page } = app;
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const section = page.getByRole('group', { name: 'API for other apps' });
    const port = await freePort();
    await section.getByLabel('Port').fill(String(port));
    await section.getByRole('button', { name: 'Use this port' }).click();
    await section.getByRole('checkbox').check();
    const status = section.getByTestId('api-status');
    await status.waitFor({ timeout: 15_000 });
    await section.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'settings-api.png') });
    const url = `http://127.0.0.1:${port}/v1`;
    expect(await status.textContent()).toContain(url);
    const key = /quire-[A-Za-z0-9_-]+/.exec((await status.textContent()) ?? '')?.[0];
    expect(key).toBeDefined();
    const models = (await (await fetch(`${url}/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['quire-nano']);
    await section.getByRole('checkbox').uncheck();
    await status.waitFor({ state: 'detached', timeout: 15_000 });
    await expect(fetch(`${url}/models`)).rejects.toThrow();
  });
});
