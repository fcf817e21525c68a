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
