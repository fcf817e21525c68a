// Settings → Saved document caches as a user meets them in the browser mode: after a question about the sample
// book its cache is on disk and the section says so; deleted there (after a confirmation), the next question
// reads the book again.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askSample, openApp, type AppPage } from './app-page.ts';
import { ARTIFACTS } from './browser.ts';

let app: AppPage;

beforeAll(async () => {
  app = await openApp();
}, 120_000);

afterAll(() => app?.close());

describe('saved document caches', () => {
  it('shows the cache a question saved and deletes it', async () => {
    const { page } = app;
    await askSample(page);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const section = page.getByRole('group', { name: 'Saved document caches' });
    const usage = section.getByTestId('saved-caches-usage');
    await usage.waitFor();
    expect(await usage.textContent()).toMatch(/^1 saved, [\d.]+ [kM]B · [\d.]+ [MGT]B free on this disk/);
    expect(await section.getByLabel('Space for saved caches').inputValue()).toBe(String(64e9));
    await section.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'settings-saved-caches.png') });
    await section.getByRole('button', { name: 'Delete saved caches…' }).click();
    await section.getByRole('button', { name: /^Delete 1 \(/ }).click();
    await expect.poll(() => usage.textContent(), { timeout: 15_000 }).toMatch(/^None saved now/);
    await page.screenshot({ path: join(ARTIFACTS, 'settings-saved-caches-deleted.png') });
  });
});
