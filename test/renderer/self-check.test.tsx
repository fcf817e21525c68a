// @vitest-environment jsdom
// Issue 25 point 7: the self-check is a chart (axes with their titles, a colour scale and its legend), drawn
// from the cells.
import { act, fireEvent, screen, within } from '@testing-library/react';
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
