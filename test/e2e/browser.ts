import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO } from './serve-process.ts';

export const ARTIFACTS = join(REPO, 'test/artifacts');
export const CHROMIUM = process.env.QUIRE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

export interface PageProblems {
  console: string[];
  pageErrors: string[];
  csp: () => Promise<string[]>;
}

// Records everything that would mean a broken page: console errors, uncaught exceptions and CSP violations
// (collected by a listener installed before any page script runs).
export async function watchProblems(page: Page): Promise<PageProblems> {
  const problems = { console: [] as string[], pageErrors: [] as string[] };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.console.push(message.text());
  });
  page.on('pageerror', (error) => problems.pageErrors.push(error.message));
  await page.addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = violations;
    document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { ...problems, csp: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp) };
}

// The screenshots a changed screen gets: 1280×800 and 800×600, light and dark, as ARTIFACTS/<name>-<layout>.png;
// `arrange` runs in each layout before its picture; the page is left at 1280×800, light.
export async function shootLayouts(page: Page, name: string, arrange: () => Promise<unknown> = async () => undefined): Promise<void> {
  for (const [layout, viewport, scheme] of [
    ['1280-light', { width: 1280, height: 800 }, 'light'],
    ['1280-dark', { width: 1280, height: 800 }, 'dark'],
    ['800-light', { width: 800, height: 600 }, 'light'],
    ['800-dark', { width: 800, height: 600 }, 'dark'],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme: scheme });
    await arrange();
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${layout}.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
}
