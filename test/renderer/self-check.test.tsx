// @vitest-environment jsdom
// Issue 25 point 7: the self-check is a chart (axes with their titles, a colour scale and its legend), drawn
// from the cells.
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { InstalledModel, NiahCell } from '../../electron/common/contract.ts';
import { accuracyColor } from '../../electron/common/niah-color.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'm', name: 'Model', dir: '/m', precision: 'fp16', ioDtype: 'fp16', kvDtype: 'fp16', contextTokens: 4096, kvBytesPerToken: 131072, bytes: 1, demo: false, promptStyle: 'instructions', generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const cell = (length: number, depth: number, accuracy: number): NiahCell => ({ length, depth, accuracy, samples: 1, seconds: 0.1 });

describe('the self-check chart', () => {
  it('has its axes, their titles, a colour scale with its legend, and one coloured cell per length and depth', async () => {
    const backend = fakeBackend({ installed: [model] });
    backend.state.selfCheckCells = [cell(1024, 0, 1), cell(4096, 0, 0.5), cell(1024, 100, 0), cell(4096, 100, 1)];
    await mountApp(backend);
    fireEvent.click(screen.getByRole('button', { name: /Models/ }));
    const section = await screen.findByRole('region', { name: 'Self-check' });
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Run self-check' })));
    const result = await within(section).findByTestId('self-check-result');
    expect(within(result).getByText('63% of needles found')).toBeTruthy();
    const chart = within(result).getByRole('img', { name: /Self-check: 63% of needles found/ });
    // Axes: lengths across, depths down, each titled in words.
    for (const tick of ['1K', '4K', '0%', '100%']) expect(within(chart).getAllByText(tick).length).toBeGreaterThan(0);
    expect(within(chart).getByText('Document length (tokens)')).toBeTruthy();
    expect(within(chart).getByText('Where the fact was')).toBeTruthy();
    // The legend: a gradient from none to all found, its ends and middle labelled.
    const legend = chart.querySelector('[aria-label="Colour scale: share of needles found"]')!;
    expect(legend.querySelector('rect')!.getAttribute('fill')).toBe('url(#niah-scale)');
    expect([...legend.querySelectorAll('text')].map((t) => t.textContent)).toEqual(['100%', '50%', '0%', 'found']);
    const cells = within(chart).getAllByTestId('niah-cell');
    expect(cells).toHaveLength(4);
    const half = cells.find((c) => c.querySelector('text')?.textContent === '50%')!;
    expect(half.querySelector('rect')!.getAttribute('fill')).toBe(`rgb(${accuracyColor(0.5).join(',')})`);
    // The headline is the sentence above the chart, not a monospace caption inside it.
    expect(chart.textContent).not.toMatch(/MEAN/);
  });
});

describe('cancelling the self-check', () => {
  it('Cancel stops the running check: no result, no error, and it can run again', async () => {
    const backend = fakeBackend({ installed: [model] });
    let open!: () => void;
    backend.state.gates['models.selfCheck'] = new Promise<void>((resolve) => (open = resolve));
    await mountApp(backend);
    fireEvent.click(screen.getByRole('button', { name: /Models/ }));
    const section = await screen.findByRole('region', { name: 'Self-check' });
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Run self-check' })));
    const progress = within(section).getByTestId('self-check-progress');
    await act(async () => fireEvent.click(within(progress).getByRole('button', { name: 'Cancel' })));
    expect(backend.state.log.some((c) => c.name === 'models.cancelSelfCheck')).toBe(true);
    await act(async () => open());
    await waitFor(() => expect(within(section).queryByTestId('self-check-progress')).toBeNull());
    expect(within(section).queryByTestId('self-check-result')).toBeNull();
    expect(within(section).queryByRole('alert')).toBeNull();
    expect((within(section).getByRole('button', { name: 'Run self-check' }) as HTMLButtonElement).disabled).toBe(false);
  });
});
