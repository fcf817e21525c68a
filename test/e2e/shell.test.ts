import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ARTIFACTS, launchChromium, watchProblems, type PageProblems } from './browser.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

let server: ServeProcess;
let browser: Browser;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  // The machine state this suite is about: no model at all (not even the bundled demo).
  server = await startServe({ QUIRE_DEFAULT_MODEL: 'none' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  problems = await watchProblems(page);
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

describe('quire serve in Chromium', () => {
  it('opens the model catalog on a machine with no model, with the real catalog', async () => {
    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    const catalog = JSON.parse(readFileSync(join(import.meta.dirname, '../../models/catalog.json'), 'utf8'));
    const names = Array.isArray(catalog) ? catalog.map((m: { name: string }) => m.name) : catalog.models.map((m: { name: string }) => m.name);
    for (const name of names) await page.getByText(name, { exact: true }).waitFor();
    expect(await page.getByTestId('no-models').isVisible()).toBe(true);
    // The token left the address bar once read.
    expect(page.url()).not.toContain('token=');
    await shot('models');
  });

  it('shows the library with its drop zone and imports a chosen file', async () => {
    await page.getByRole('button', { name: /Library/ }).click();
    await page.getByTestId('dropzone').waitFor();
    await shot('library-empty');
    await page.setInputFiles('input[type=file]', {
      name: 'minutes-2026.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Board minutes\n\n## January\nThe board approved the budget.\n\n## February\nThe roof was repaired.\n'),
    });
    await page.getByRole('cell', { name: 'Board minutes', exact: true }).waitFor();
    await page.getByRole('cell', { name: 'MD', exact: true }).waitFor();
    await shot('library');
  });

  it('reaches chat and settings, and settings persist across a reload', async () => {
    await page.keyboard.press('Control+2');
    await page.getByRole('heading', { level: 1, name: 'New conversation' }).waitFor();
    expect(await page.getByLabel('Question').getAttribute('placeholder')).toBe('Install a model to start asking.');
    await shot('chat');
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await shot('settings');
    await page.getByRole('radio', { name: 'Dark' }).click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await page.reload();
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.getByRole('button', { name: /Library/ }).click();
    await shot('library-dark');
  });

  it('ran with no console error, no page error and no CSP violation', async () => {
    expect(problems.pageErrors).toEqual([]);
    expect(problems.console).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  });

  it('blocks eval and inline script in the page', async () => {
    // DevTools' own evaluation is exempt from CSP, so the probes run later from a timer, as page code would.
    await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      setTimeout(() => {
        const script = document.createElement('script');
        script.textContent = 'window.__inline = 1';
        document.body.append(script);
        try {
          w.__eval = new Function('return "ran"')();
        } catch (error) {
          w.__eval = (error as Error).name;
        }
      }, 0);
    });
    await page.waitForFunction(() => (window as unknown as Record<string, unknown>).__eval !== undefined);
    const result = await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      return { inline: w.__inline ?? null, evalResult: w.__eval };
    });
    expect(result).toEqual({ inline: null, evalResult: 'EvalError' });
  });
});

describe('browser-mode socket', () => {
  const connect = (url: string, origin: string) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(url, { origin });
      ws.on('open', () => (ws.close(), resolve('open')));
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', () => resolve('error'));
    });

  it('refuses connections without the token or from another origin', async () => {
    const rpc = `${server.origin.replace('http', 'ws')}/rpc`;
    expect(await connect(`${rpc}?token=${server.token}`, server.origin)).toBe('open');
    expect(await connect(rpc, server.origin)).toBe('403');
    expect(await connect(`${rpc}?token=wrong${server.token}`, server.origin)).toBe('403');
    expect(await connect(`${rpc}?token=${server.token}`, 'https://evil.example')).toBe('403');
  });

  it('sends the CSP on every page response', async () => {
    const response = await fetch(`${server.origin}/`);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${server.origin}/..%2f..%2fpackage.json`)).status).toBe(404);
  });
});
