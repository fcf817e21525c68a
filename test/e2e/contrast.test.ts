// Text is readable in both themes: every visible piece of text on every screen meets WCAG AA contrast against
// the background it is drawn on (4.5:1, or 3:1 for large text; disabled controls are exempt as WCAG allows).
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askSample, openApp, type AppPage } from './app-page.ts';
import { ARTIFACTS } from './browser.ts';

let app: AppPage;
let page: Page;

beforeAll(async () => {
  app = await openApp();
  page = app.page;
}, 120_000);

afterAll(() => app?.close());

// Runs in the page: the lowest-contrast texts, with what they say and their ratio.
function lowContrast(): { text: string; ratio: number; color: string; background: string }[] {
  // rgb()/rgba() in 0–255, or color(srgb r g b / a) in 0–1 (what color-mix() computes to).
  const parse = (c: string) => {
    const n = (c.match(/[\d.]+/g) ?? []).map(Number);
    return c.startsWith('color(srgb') ? [n[0] * 255, n[1] * 255, n[2] * 255, ...n.slice(3)] : n;
  };
  const lum = ([r, g, b]: number[]) => {
    const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  // The colour under an element: the first opaque background up the tree, blending translucent ones on the way.
  const backgroundOf = (el: Element): number[] => {
    const layers: number[][] = [];
    for (let e: Element | null = el; e; e = e.parentElement) {
      // Text on an image or gradient (the logo mark) cannot be measured this way.
      if (getComputedStyle(e).backgroundImage !== 'none') return [];
      const c = parse(getComputedStyle(e).backgroundColor);
      const alpha = c.length > 3 ? c[3] : 1;
      if (alpha > 0) layers.push([c[0], c[1], c[2], alpha]);
      if (alpha >= 1) break;
    }
    let out = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
    return out;
  };
  const failures: { text: string; ratio: number; color: string; background: string }[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent?.trim();
    if (!el || !text) continue;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || rect.width === 0 || rect.height === 0 || el.closest('[disabled], [aria-disabled=true], .sr-only, option')) continue;
    const fg = parse(style.color);
    const bg = backgroundOf(el);
    if (bg.length === 0) continue;
    const a = fg.length > 3 ? fg[3] : 1;
    const shown = [fg[0] * a + bg[0] * (1 - a), fg[1] * a + bg[1] * (1 - a), fg[2] * a + bg[2] * (1 - a)];
    const [hi, lo] = [lum(shown), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push({ text: text.slice(0, 40), ratio: Math.round(ratio * 100) / 100, color: style.color, background: `rgb(${bg.map(Math.round).join(', ')})` });
  }
  return failures;
}

describe('contrast', () => {
  // Every screen with something on it: the sample book in the library and a conversation about it.
  beforeAll(() => askSample(page), 240_000);

  for (const theme of ['Light', 'Dark'] as const) {
    for (const [width, height] of [[1280, 800], [800, 600]]) {
      it(`meets WCAG AA on every screen in the ${theme.toLowerCase()} theme at ${width}×${height}`, async () => {
        await page.setViewportSize({ width, height });
        await page.getByRole('button', { name: 'Settings', exact: true }).click();
        await page.getByRole('radio', { name: theme }).click();
        const problems: Record<string, unknown[]> = {};
        const look = async (screen: string) => {
          await page.screenshot({ path: join(ARTIFACTS, `contrast-${theme.toLowerCase()}-${screen}${width === 1280 ? '' : `-${width}`}.png`) });
          const found = await page.evaluate(lowContrast);
          if (found.length) problems[screen] = found;
        };
        for (const view of ['Library', 'Chat', 'Models', 'Settings']) {
          await page.getByRole('button', { name: new RegExp(view) }).first().click();
          await page.getByRole('heading', { level: 1 }).first().waitFor();
          await look(view.toLowerCase());
        }
        await page.getByRole('button', { name: /Library/ }).click();
        await page.locator('.title-button').first().click();
        await page.getByRole('dialog').waitFor();
        await look('viewer');
        await page.keyboard.press('Escape');
        expect(problems).toEqual({});
      });
    }
  }
});

describe('the self-check heatmap', () => {
  it('is drawn in the theme\'s colours, not on a white page in the dark theme', { timeout: 240_000 }, async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('radio', { name: 'Dark' }).click();
    await page.getByRole('button', { name: /Models/ }).click();
    await page.getByRole('button', { name: 'Run self-check' }).click();
    const heatmap = page.getByTestId('self-check-result').getByRole('img');
    await heatmap.waitFor({ timeout: 200_000 });
    const colours = await heatmap.evaluate((box) => {
      const probe = document.createElement('span');
      document.body.append(probe);
      const of = (value: string) => ((probe.style.color = value), getComputedStyle(probe).color);
      const theme = { panel: of('var(--panel)'), ink: of('var(--ink-2)') };
      probe.remove();
      // The chart has no page of its own: it sits on the card, its grid lines in the card's colour.
      const white = [...box.querySelectorAll('rect')].filter((r) => getComputedStyle(r).fill === 'rgb(255, 255, 255)').length;
      return { theme, grid: getComputedStyle(box.querySelector('.niah-cell')!).stroke, label: getComputedStyle(box.querySelector('.niah-axis')!).fill, tick: getComputedStyle(box.querySelector('.niah-tick')!).fill, white };
    });
    await page.screenshot({ path: join(ARTIFACTS, 'contrast-dark-self-check.png') });
    expect(colours.grid).toBe(colours.theme.panel);
    expect(colours.label).toBe(colours.theme.ink);
    expect(colours.tick).toBe(colours.theme.ink);
    expect(colours.white).toBe(0);
  });
});
