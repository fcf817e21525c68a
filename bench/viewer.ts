// The document viewer with a whole book in it (issue 21 point 7), in Chromium against the real `quire serve`: a
// 4 MB text book (≈1M tokens, 20,000+ paragraphs) and the same book as Markdown are imported, opened from the
// library and searched. Prints, beside the goals: the time from the click to the first paint of the visible text
// (and, in brackets, until the whole text has arrived and is cut into blocks: the viewer fetches the first
// screens' text first and the rest after that paint), the time from typing a query (once the whole text is in) to
// its matches counted and the first one drawn marked, the DOM nodes the viewer holds, and frame times while the
// text is scrolled a screen per frame.
//   node_modules/.bin/node bench/viewer.ts [--no-build] [--mb 4]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/e2e/browser.ts';
import { RpcClient } from '../test/e2e/rpc-client.ts';
import { REPO, startServe } from '../test/e2e/serve-process.ts';

const { values } = parseArgs({ options: { 'no-build': { type: 'boolean', default: false }, mb: { type: 'string', default: '4' } } });
const GOALS = { openMs: 200, findMs: 100, frameMs: 1000 / 60 };

// A book of chapters and paragraphs from a seeded word list: the size and shape of a long novel, no download.
export function bookText(bytes: number, markdown: boolean): string {
  const words = 'the whale sea ship captain harbour keeper lamp night morning storm and of to a in that his was with he it as for on by at from all but were they which there one had she said old long dark water wind over upon white deep'.split(' ');
  let seed = 7;
  const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const out: string[] = [];
  let length = 0;
  for (let p = 0; length < bytes; p++) {
    if (p % 120 === 0) out.push(markdown ? `## Chapter ${p / 120 + 1}` : `CHAPTER ${p / 120 + 1}`);
    const sentences: string[] = [];
    for (let s = 1 + next(3); s > 0; s--) {
      const sentence = Array.from({ length: 6 + next(14) }, () => words[next(words.length)]).join(' ');
      sentences.push(sentence[0].toUpperCase() + sentence.slice(1) + '.');
    }
    const paragraph = sentences.join(' ');
    out.push(paragraph);
    length += paragraph.length + 2;
  }
  return out.join('\n\n');
}

interface Figures {
  wholeMs: number;
  openMs: number;
  findMs: number;
  matches: string;
  nodes: number;
  blocks: number;
  frames: number;
  frameP50: number;
  frameP95: number;
  frameMax: number;
  scrolledPx: number;
}

// Everything below runs in the page: timings are the page's own clock, ending after the next frame is painted.
async function measure(page: Page, title: string, query: string): Promise<Figures> {
  await page.getByRole('button', { name: /Library/ }).click();
  const opener = page.getByRole('button', { name: title, exact: true });
  await opener.waitFor();
  const open = await opener.evaluate(async (button) => {
    const painted = () => new Promise<number>((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()))));
    const t0 = performance.now();
    (button as HTMLElement).click();
    while (!document.querySelector('[data-testid=viewer-text] p')) await new Promise((r) => setTimeout(r, 1));
    const openMs = (await painted()) - t0;
    while (document.querySelector('[data-testid=viewer-text]')!.getAttribute('aria-busy') !== 'false') await new Promise((r) => setTimeout(r, 1));
    return { openMs, wholeMs: (await painted()) - t0 };
  });
  const find = await page.evaluate(async (q) => {
    const painted = () => new Promise<number>((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()))));
    const input = document.querySelector<HTMLInputElement>('input[aria-label="Find in document"]')!;
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    const t0 = performance.now();
    setValue.call(input, q);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const count = document.querySelector('[data-testid=find-count]')!;
    while (!/of/.test(count.textContent ?? '') || !document.querySelector('[data-testid=viewer-text] mark')) await new Promise((r) => setTimeout(r, 1));
    return { findMs: (await painted()) - t0, matches: count.textContent! };
  }, query);
  const dom = await page.evaluate(() => {
    const text = document.querySelector('[data-testid=viewer-text]')!;
    return { nodes: text.querySelectorAll('*').length, blocks: text.querySelectorAll('p, h3, h4, h5, h6, li, pre, blockquote, table').length };
  });
  const scroll = await page.evaluate(async () => {
    const scroller = document.querySelector<HTMLElement>('[data-testid=viewer-text]')!;
    scroller.scrollTop = 0;
    await new Promise((r) => requestAnimationFrame(r));
    const deltas: number[] = [];
    let last = performance.now();
    for (let i = 0; i < 240 && scroller.scrollTop + scroller.clientHeight < scroller.scrollHeight - 1; i++) {
      scroller.scrollTop += scroller.clientHeight * 0.9;
      const now = await new Promise<number>((r) => requestAnimationFrame(r));
      deltas.push(now - last);
      last = now;
    }
    return { deltas, scrolledPx: scroller.scrollTop };
  });
  const sorted = [...scroll.deltas].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  await page.keyboard.press('Escape');
  return { ...open, ...find, ...dom, frames: sorted.length, frameP50: at(0.5), frameP95: at(0.95), frameMax: sorted.at(-1) ?? 0, scrolledPx: scroll.scrolledPx };
}

if (!values['no-build']) execFileSync('npm', ['run', 'build:renderer', '--silent'], { cwd: REPO, stdio: 'inherit' });
const server = await startServe({ QUIRE_DEFAULT_MODEL: 'none' });
const browser = await launchChromium();
try {
  const rpc = await RpcClient.open(server);
  const size = Number(values.mb) * 1_000_000;
  const books = [
    { name: 'big-book.txt', text: bookText(size, false), title: '' },
    { name: 'big-markdown-book.md', text: bookText(size, true), title: '' },
  ];
  for (const book of books) {
    const imported = await rpc.call('library.import', { name: book.name, bytes: new TextEncoder().encode(book.text) }, 120_000);
    if (!imported.ok) throw new Error(`import failed: ${imported.error?.message}`);
    book.title = imported.value.title;
  }
  rpc.close();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(server.url);
  console.log(`viewer, ${values.mb} MB books (${books[0].text.split('\n\n').length.toLocaleString()} paragraphs), Chromium ${browser.version()}, 1280×800`);
  console.log('book       | open (whole text) ms | goal | find ms | goal | matches | DOM nodes | blocks | scroll frames | p50 / p95 / max ms | goal | scrolled px');
  // Each book twice: the first open of a session also reads the document from disk on the server.
  for (const book of [...books, ...books]) {
    const f = await measure(page, book.title, 'harbour keeper');
    console.log(
      [book.name, `${f.openMs.toFixed(0)} (${f.wholeMs.toFixed(0)})`, `≤ ${GOALS.openMs}`, f.findMs.toFixed(0), `≤ ${GOALS.findMs}`, f.matches, f.nodes, f.blocks, f.frames, `${f.frameP50.toFixed(1)} / ${f.frameP95.toFixed(1)} / ${f.frameMax.toFixed(1)}`, `≤ ${GOALS.frameMs.toFixed(1)}`, Math.round(f.scrolledPx).toLocaleString()].join(' | '),
    );
  }
} finally {
  await browser.close();
  await server.stop();
}
