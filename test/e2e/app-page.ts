import type { Browser, Page } from 'playwright-core';
import { sampleDocument } from '../../electron/node/sample-document.ts';
import { launchChromium } from './browser.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

export interface AppPage {
  server: ServeProcess;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

// `quire serve` on a fresh data folder (quire-nano installed unless `env` says otherwise) and Chromium on it,
// once the screen with `heading` is up; `watch` sees the page before it loads (to listen to its traffic).
export async function openApp(
  options: { env?: Record<string, string>; viewport?: { width: number; height: number }; heading?: string; watch?: (page: Page) => void } = {},
): Promise<AppPage> {
  const server = await startServe(options.env);
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  options.watch?.(page);
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1, name: options.heading ?? 'Library' }).waitFor();
  return {
    server,
    browser,
    page,
    close: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

// The first-run path: the sample book from the library, its first suggested question, the answer complete.
export async function askSample(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Try a sample document' }).click();
  await page.getByRole('heading', { level: 1, name: 'New conversation' }).waitFor();
  await page.getByRole('group', { name: 'Questions to try' }).getByRole('button', { name: sampleDocument().questions[0].question }).click();
  await page.locator('.message.assistant .message-foot').first().waitFor({ timeout: 200_000 });
}
