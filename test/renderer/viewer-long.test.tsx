// @vitest-environment jsdom
// A whole book in the viewer: one scrolling column of 20,000 paragraphs with only those in view drawn, find
// over the whole text, and a quote at the far end opened where it is.
import { act, fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { InstalledModel } from '../../electron/common/contract.ts';
import { documentSections } from '../../renderer/src/features/viewer/sections.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'tiny', name: 'Tiny demo', dir: '/m/tiny', precision: 'fp32', ioDtype: 'fp32', kvDtype: 'fp32', contextTokens: 4096, kvBytesPerToken: 2048, bytes: 1_000_000, demo: true, promptStyle: 'bare', generation: { greedy: true, temperature: 1, topP: 1 } };
const PARAGRAPHS = 20_000;
// Every paragraph says "keeper" once; only the last but ten says "beacon".
const text = Array.from({ length: PARAGRAPHS }, (_, i) => `Paragraph ${i}. The keeper trimmed the wick${i === PARAGRAPHS - 10 ? ' by the beacon' : ''} and wrote the night down in the log, as every night before it.`).join('\n\n');
const book = { id: 'b', format: 'txt' as const, title: 'Logbook', text, chars: text.length, warnings: [], anchors: [] };

// The paragraph numbers drawn, in order.
const drawn = () => [...screen.getByTestId('viewer-text').querySelectorAll('.viewer-paragraph')].map((p) => Number(/^Paragraph (\d+)/.exec(p.textContent!)![1]));
const markedParagraph = () => Number(/^Paragraph (\d+)/.exec(screen.getByTestId('viewer-text').querySelector('mark')!.closest('p')!.textContent!)![1]);

async function open(highlight: { start: number; end: number } | null = null) {
  const store = await mountApp(fakeBackend({ installed: [model], documents: [] }));
  act(() => store.setState({ viewer: { document: book, highlight, original: null } }));
  return store;
}

describe('the viewer with a whole book', () => {
  it('draws only the paragraphs in view, in a column as tall as the book, and draws another place when scrolled there', async () => {
    await open();
    expect(drawn()[0]).toBe(0);
    expect(drawn().length).toBeGreaterThan(5);
    expect(drawn().length).toBeLessThan(200);
    const scroller = screen.getByTestId('viewer-text');
    const column = scroller.firstElementChild as HTMLElement;
    const height = parseFloat(column.style.height);
    // At least a line a paragraph.
    expect(height).toBeGreaterThan(PARAGRAPHS * 25);
    scroller.scrollTop = height / 2;
    fireEvent.scroll(scroller);
    const middle = drawn();
    expect(middle.length).toBeLessThan(200);
    expect(Math.min(...middle)).toBeGreaterThan(PARAGRAPHS / 2 - 300);
    expect(Math.max(...middle)).toBeLessThan(PARAGRAPHS / 2 + 300);
    // The paragraphs drawn are a run without gaps.
    expect(middle).toEqual(middle.map((_, i) => middle[0] + i));
  });

  it('counts every match in the book and steps to one far outside what is drawn, marked', async () => {
    await open();
    fireEvent.change(screen.getByLabelText('Find in document'), { target: { value: 'Keeper' } });
    expect(screen.getByTestId('find-count').textContent).toBe(`1 of ${PARAGRAPHS}`);
    expect(markedParagraph()).toBe(0);
    // Back from the first match is the last one, at the far end.
    fireEvent.click(screen.getByRole('button', { name: 'Previous match' }));
    expect(screen.getByTestId('find-count').textContent).toBe(`${PARAGRAPHS} of ${PARAGRAPHS}`);
    expect(markedParagraph()).toBe(PARAGRAPHS - 1);
    expect(screen.getByTestId('viewer-text').querySelector('mark')!.textContent).toBe('keeper');
    expect(drawn().length).toBeLessThan(200);
    fireEvent.change(screen.getByLabelText('Find in document'), { target: { value: 'beacon' } });
    expect(screen.getByTestId('find-count').textContent).toBe('1 of 1');
    expect(markedParagraph()).toBe(PARAGRAPHS - 10);
  });

  it('opens a quote at the far end of the book where it is, marked, and goes to a part from the list', async () => {
    const start = text.indexOf('by the beacon');
    await open({ start, end: start + 'by the beacon'.length });
    expect(screen.getByTestId('viewer-text').querySelector('mark')!.textContent).toBe('by the beacon');
    expect(markedParagraph()).toBe(PARAGRAPHS - 10);
    expect(drawn()).toContain(PARAGRAPHS - 10);
    expect(drawn().length).toBeLessThan(200);
    const goTo = screen.getByLabelText('Go to') as HTMLSelectElement;
    expect(Number(goTo.value)).toBe(goTo.options.length - 1);
    fireEvent.change(goTo, { target: { value: '10' } });
    const part = drawn();
    expect(part.length).toBeLessThan(200);
    const tenth = Number(/^Paragraph (\d+)/.exec(text.slice(documentSections(book)[10].start))![1]);
    expect(part).toContain(tenth);
    expect(Math.min(...part)).toBeGreaterThan(tenth - 100);
    expect(goTo.value).toBe('10');
  });
});
