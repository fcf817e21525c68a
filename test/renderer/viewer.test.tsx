// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'tiny', name: 'Tiny demo', dir: '/m/tiny', precision: 'fp32', ioDtype: 'fp32', kvDtype: 'fp32', contextTokens: 4096, kvBytesPerToken: 2048, bytes: 1_000_000, demo: true, promptStyle: 'bare', generation: { greedy: true, temperature: 1, topP: 1 } };
const doc = (id: string, title: string, format = 'pdf'): DocumentSummary => ({ id, title, format, chars: 1200, tokens: 300, pages: 3, importedAt: new Date(0).toISOString(), warnings: [] });

const NOTES = [
  '# Field notes',
  '',
  'The **keeper** lit the *lamp* at `19:04`, as [the log](https://example.com/log) says.',
  '',
  '- oil',
  '- wicks',
  '',
  '1. first',
  '2. second',
  '',
  '> Never leave the lamp.',
  '',
  '```',
  'if (lamp) { light(); }',
  '```',
  '',
  '<script>window.hacked = true</script> <b>not bold</b> <img src=x onerror="window.hacked = true">',
].join('\n');

describe('the document viewer', () => {
  it('keeps Tab inside while open and gives focus back to what opened it on Escape and on close', async () => {
    const backend = fakeBackend({ installed: [model], documents: [doc('a', 'Moby Dick')] });
    await mountApp(backend);
    const opener = await screen.findByRole('button', { name: 'Moby Dick' });
    opener.focus();
    fireEvent.click(opener);
    const dialog = await screen.findByRole('dialog', { name: 'Document: Moby Dick' });
    expect(document.activeElement).toBe(dialog);
    const focusable = [...dialog.querySelectorAll<HTMLElement>('button:not([disabled]), input, select')];
    const [first, last] = [focusable[0], focusable.at(-1)!];
    last.focus();
    fireEvent.keyDown(last, { key: 'Tab' });
    expect(document.activeElement).toBe(first);
    fireEvent.keyDown(first, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(last);
    fireEvent.keyDown(last, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.activeElement).toBe(opener);
    // The close button too.
    fireEvent.click(opener);
    fireEvent.click(await screen.findByRole('button', { name: 'Close document' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.activeElement).toBe(opener);
  });

  it('shows a Markdown document formatted, its HTML as text, and still finds in it', async () => {
    const backend = fakeBackend({ installed: [model], documents: [doc('n', 'Field notes', 'md')] });
    backend.state.texts.n = NOTES;
    const store = await mountApp(backend);
    await act(() => store.getState().openViewer('n'));
    const text = screen.getByTestId('viewer-text');
    expect(within(text).getByRole('heading', { name: 'Field notes' })).toBeTruthy();
    expect(text.querySelector('strong')!.textContent).toBe('keeper');
    expect(text.querySelector('em')!.textContent).toBe('lamp');
    expect([...text.querySelectorAll('code')].map((c) => c.textContent)).toEqual(['19:04', 'if (lamp) { light(); }']);
    expect(text.querySelector('.md-link')!.textContent).toBe('the log');
    expect(text.querySelector('a')).toBeNull();
    expect([...text.querySelectorAll('ul li')].map((li) => li.textContent)).toEqual(['oil', 'wicks']);
    expect([...text.querySelectorAll('ol li')].map((li) => li.textContent)).toEqual(['first', 'second']);
    expect(text.querySelector('blockquote')!.textContent).toBe('Never leave the lamp.');
    expect(text.textContent).not.toContain('**');
    // Raw HTML is the document's text, never markup.
    expect(text.querySelector('script, b, img')).toBeNull();
    expect(text.textContent).toContain('<b>not bold</b>');
    expect((window as { hacked?: boolean }).hacked).toBeUndefined();
    fireEvent.change(screen.getByLabelText('Find in document'), { target: { value: 'lamp' } });
    expect(screen.getByTestId('find-count').textContent).toBe('1 of 3');
    expect(text.querySelector('mark')!.textContent).toBe('lamp');
    expect(text.querySelector('mark')!.closest('em')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Next match' }));
    expect(text.querySelector('mark')!.closest('blockquote')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Next match' }));
    expect(text.querySelector('mark')!.closest('pre')).toBeTruthy();
  });

  it('draws a section by its structure: cue times at every cue, DOCX headings as headings and tables as tables', async () => {
    const store = await mountApp(fakeBackend({ installed: [model], documents: [] }));
    const srt = 'Hello there.\nGeneral Kenobi.\nYou are a bold one.';
    const cue = (label: string, text: string) => ({ kind: 'cue' as const, label, start: srt.indexOf(text), end: srt.indexOf(text) + text.length + 1 });
    const subtitles = { id: 's', format: 'srt' as const, title: 'Film', text: srt, chars: srt.length, warnings: [], anchors: [cue('00:00:01,000', 'Hello there.'), cue('00:00:03,500', 'General Kenobi.'), cue('00:00:05,000', 'You are a bold one.')] };
    act(() => store.setState({ viewer: { document: subtitles, highlight: null, original: null } }));
    const cues = [...screen.getByTestId('viewer-text').querySelectorAll('.viewer-cue')];
    expect(cues.map((c) => [c.querySelector('.cue-time')!.textContent, c.textContent!.slice(12)])).toEqual([
      ['00:00:01,000', 'Hello there.'],
      ['00:00:03,500', 'General Kenobi.'],
      ['00:00:05,000', 'You are a bold one.'],
    ]);
    const docx = 'Budget\n\nItem | Amount\nPaper | 12\nInk | 30\n\nSpent as planned.';
    const report = { id: 'd', format: 'docx' as const, title: 'Report', text: docx, chars: docx.length, warnings: [], anchors: [{ kind: 'heading' as const, label: 'Budget', start: 0, end: docx.length }] };
    act(() => store.setState({ viewer: { document: report, highlight: null, original: null } }));
    const text = screen.getByTestId('viewer-text');
    expect(within(text).getByRole('heading', { name: 'Budget' })).toBeTruthy();
    expect(text.textContent).not.toMatch(/Section|\|/);
    expect([...text.querySelectorAll('table tr')].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent))).toEqual([
      ['Item', 'Amount'],
      ['Paper', '12'],
      ['Ink', '30'],
    ]);
    // Find marks a match inside a cell.
    fireEvent.change(screen.getByLabelText('Find in document'), { target: { value: 'ink' } });
    expect(text.querySelector('mark')!.closest('td')!.textContent).toBe('Ink');
  });

  it('does not carry the find text over to the next document', async () => {
    const backend = fakeBackend({ installed: [model], documents: [doc('a', 'Moby Dick', 'txt'), doc('b', 'Walden', 'txt')] });
    const store = await mountApp(backend);
    await act(() => store.getState().openViewer('a'));
    fireEvent.change(screen.getByLabelText('Find in document'), { target: { value: 'Moby' } });
    expect(screen.getByTestId('find-count').textContent).toBe('1 of 1');
    await act(() => store.getState().openViewer('b'));
    expect((screen.getByLabelText('Find in document') as HTMLInputElement).value).toBe('');
    expect(screen.getByTestId('find-count').textContent).toBe('');
  });
});

