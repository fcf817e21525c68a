// One document, one token count: the library, the fit check before asking and the answer's figures all give
// the document's tokens as the model is given it (its title and the prompt's framing included).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDocument } from '../../electron/node/sample-document.ts';
import { openApp, type AppPage } from './app-page.ts';

let app: AppPage;
let page: Page;

beforeAll(async () => {
  app = await openApp();
  page = app.page;
}, 120_000);

afterAll(() => app?.close());

const number = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1]?.replace(/,/g, '') ?? NaN);

describe('a document\'s token count', () => {
  it('is the same in the fit check, the library and the answer', { timeout: 240_000 }, async () => {
    await page.getByRole('button', { name: 'Try a sample document' }).click();
    const fit = page.locator('[data-testid=fit].good');
    await fit.waitFor({ timeout: 60_000 });
    const planned = number(await fit.innerText(), /([\d,]+) tokens —/);
    expect(planned).toBeGreaterThan(1000);
    await page.getByRole('group', { name: 'Questions to try' }).getByRole('button', { name: sampleDocument().questions[0].question }).click();
    const stats = page.locator('.message.assistant .stats').first();
    await stats.waitFor({ timeout: 200_000 });
    expect(number(await stats.innerText(), /documents ([\d,]+) tokens/)).toBe(planned);
    await page.getByRole('button', { name: /Library/ }).click();
    const cells = await page.getByRole('row').nth(1).getByRole('cell').allInnerTexts();
    expect(cells.map((c) => Number(c.replace(/,/g, '')))).toContain(planned);
  });
});
