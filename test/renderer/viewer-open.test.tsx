// @vitest-environment jsdom
// Opening a long book (issue 21 point 7): the viewer draws the screen it opens at from that part of the text
// alone, with the column already as tall as the book, and fetches the rest after; find searches the whole text
// once it is in, and the view stays where it was when it arrives.
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'tiny', name: 'Tiny demo', dir: '/m/tiny', precision: 'fp32', ioDtype: 'fp32', kvDtype: 'fp32', contextTokens: 4096, kvBytesPerToken: 2048, bytes: 1_000_000, demo: true, promptStyle: 'bare', generation: { greedy: true, temperature: 1, topP: 1 } };
const PARAGRAPHS = 10_000;
// Every paragraph says "keeper" once; only the last but ten says "beacon".
const text = Array.from({ length: PARAGRAPHS }, (_, i) => `Paragraph ${i}. The keeper trimmed the wick${i === PARAGRAPHS - 10 ? ' by the beacon' : ''} and wrote the night down in the log, as every night before it.`).join('\n\n');
const summary: DocumentSummary = { id: 'b', title: 'Logbook', format: 'txt', chars: text.length, tokens: null, pages: 0, importedAt: new Date(0).toISOString(), warnings: [] };
// A few screens of text: more than that before the first paint is the whole book's wait again.
const FIRST_PAINT_CHARS = 100_000;

// The fake backend with every call that carries more text than the first screens held until `release`.
async function openLogbook() {
  const backend = fakeBackend({ installed: [model], documents: [summary] });
  backend.state.texts.b = text;
  backend.state.anchors.b = [];
  const held: (() => void)[] = [];
  const call = backend.transport.call;
  backend.transport.call = async (name, payload) => {
    const range = payload as { start: number; end: number };
    if (name === 'library.get' || (name === 'library.text' && range.end - range.start > FIRST_PAINT_CHARS)) await new Promise<void>((go) => held.push(go));
    return call(name, payload);
  };
  const store = await mountApp(backend);
  return {
    store,
    held,
    release: () => act(async () => held.splice(0).forEach((go) => go())),
  };
}

const viewerText = () => screen.getByTestId('viewer-text');
// The paragraph numbers drawn, in order.
const drawn = () => [...viewerText().querySelectorAll('.viewer-paragraph')].map((p) => Number(/^Paragraph (\d+)/.exec(p.textContent!)![1]));
const markedParagraph = () => Number(/^Paragraph (\d+)/.exec(viewerText().querySelector('mark')!.closest('p')!.textContent!)![1]);

describe('opening a long book', () => {
  it('draws the first screen before the rest of the text has arrived, then finds in the whole book', async () => {
    const { held, release } = await openLogbook();
    fireEvent.click(await screen.findByRole('button', { name: 'Logbook' }));
    await waitFor(() => expect(drawn()[0]).toBe(0));
    expect(drawn().length).toBeLessThan(200);
    // The column is the whole book's from the first paint (at least a line a paragraph).
    expect(parseFloat((viewerText().firstElementChild as HTMLElement).style.height)).toBeGreaterThan(PARAGRAPHS * 25);
    expect(viewerText().getAttribute('aria-busy')).toBe('true');
    // The rest is asked for after that paint.
    await waitFor(() => expect(held.length).toBeGreaterThan(0));
    fireEvent.change(screen.getByLabelText('Find in document'), { target: { value: 'beacon' } });
    expect(screen.getByTestId('find-count').textContent).toBe('searching…');
    await release();
    await waitFor(() => expect(screen.getByTestId('find-count').textContent).toBe('1 of 1'));
    expect(viewerText().getAttribute('aria-busy')).toBe('false');
    expect(markedParagraph()).toBe(PARAGRAPHS - 10);
    fireEvent.change(screen.getByLabelText('Find in document'), { target: { value: 'keeper' } });
    expect(screen.getByTestId('find-count').textContent).toBe(`1 of ${PARAGRAPHS}`);
  });

  it('opens a quote at the far end where it is, marked, from the text around it, and keeps it in view as the rest arrives', async () => {
    const { store, held, release } = await openLogbook();
    const start = text.indexOf('by the beacon');
    await act(() => store.getState().openViewer('b', { start, end: start + 'by the beacon'.length }));
    expect(viewerText().querySelector('mark')!.textContent).toBe('by the beacon');
    expect(markedParagraph()).toBe(PARAGRAPHS - 10);
    const before = drawn();
    expect(before.length).toBeLessThan(200);
    await waitFor(() => expect(held.length).toBeGreaterThan(0));
    await release();
    await waitFor(() => expect(viewerText().getAttribute('aria-busy')).toBe('false'));
    expect(markedParagraph()).toBe(PARAGRAPHS - 10);
    // The same paragraphs around it, now cut from the whole text.
    const after = drawn();
    expect(after).toContain(PARAGRAPHS - 10);
    expect(Math.abs(after[0] - before[0])).toBeLessThan(5);
  });
});
