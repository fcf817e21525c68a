// Issue 15 point 3: a page without its link says so instead of showing an empty library; a stopped server is
// said plainly, calls fail at once instead of spinning, and a restarted server's new link is asked for.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, watchProblems } from './browser.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

let browser: Browser;
const servers: ServeProcess[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
});

async function serve(env: Record<string, string> = {}, args: string[] = []): Promise<ServeProcess> {
  const s = await startServe({ QUIRE_DEFAULT_MODEL: 'none', ...env }, args);
  servers.push(s);
  return s;
}

describe('browser-mode connection', () => {
  it('asks for the printed link when the page is opened without its token', async () => {
    const server = await serve();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = await watchProblems(page);
    await page.goto(`${server.origin}/`);
    await page.getByRole('heading', { level: 1, name: 'This page needs the link Quire printed' }).waitFor();
    // Nothing that looks like an empty library or "no model installed".
    expect(await page.getByRole('button', { name: /Library/ }).count()).toBe(0);
    expect(await page.getByText('None installed').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'needs-link.png') });
    expect(problems.pageErrors).toEqual([]);
    await page.close();
  });

  it('says when the server stops, fails a question at once, and asks for the new link after a restart', async () => {
    const server = await serve();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url);
    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    const port = new URL(server.origin).port;
    await server.stop();
    await page.getByRole('alert').filter({ hasText: 'Quire has stopped' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'connection-lost.png') });
    // A call made now is refused at once with words, not left waiting.
    const started = Date.now();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('radio', { name: 'Dark' }).click();
    await page.getByRole('alert').filter({ hasText: /not running/ }).waitFor({ timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    // Started again on the same port, Quire has a new token: the old page says to open the new link.
    const again = await serve({ QUIRE_DATA_DIR: server.dataDir }, ['--port', port]);
    expect(again.origin).toBe(server.origin);
    await page.getByRole('heading', { level: 1, name: 'This link is from an earlier run of Quire' }).waitFor({ timeout: 20_000 });
    // The new link opens the same library.
    await page.goto(again.url);
    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    await page.close();
  });

  // Issue 25 point 7: a question asked while the server is down is a notice, not an uncaught page error.
  it('asking a new question with the server stopped says so and raises no page error', async () => {
    const server = await serve({ QUIRE_DEFAULT_MODEL: '' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = await watchProblems(page);
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Try a sample document' }).click();
    await page.getByRole('heading', { level: 1, name: 'New conversation' }).waitFor();
    await page.getByTestId('fit').waitFor();
    await server.stop();
    await page.getByRole('alert').filter({ hasText: 'Quire has stopped' }).waitFor({ timeout: 15_000 });
    await page.getByLabel('Question', { exact: true }).fill('Who keeps the garden?');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: /not running/ }).waitFor({ timeout: 5_000 });
    expect(await page.getByLabel('Question', { exact: true }).inputValue()).toBe('Who keeps the garden?');
    await page.waitForTimeout(300);
    expect(problems.pageErrors).toEqual([]);
    await page.close();
  });
});
