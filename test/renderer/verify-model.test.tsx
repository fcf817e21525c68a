// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const installed = (id: string, name: string): InstalledModel => ({
  id,
  name,
  dir: `/models/${id}`,
  precision: 'int4',
  ioDtype: 'fp16',
  kvDtype: 'fp16',
  contextTokens: 131072,
  kvBytesPerToken: 131072,
  bytes: 4e9,
  demo: false,
  promptStyle: 'instructions',
  generation: { greedy: false, temperature: 0.6, topP: 0.9 },
});

describe('Verify model', () => {
  it('checks an installed model on demand and says whether it is intact or how to repair it', async () => {
    const backend = fakeBackend({ installed: [installed('good', 'Good model'), installed('damaged-1', 'Damaged model')] });
    const store = await mountApp(backend);
    act(() => store.getState().setView('models'));
    await act(async () => fireEvent.click(await screen.findByRole('button', { name: 'Verify Good model' })));
    await waitFor(() => expect(screen.getByText(/^Verified: all 4 files match/)).toBeTruthy());
    expect(backend.state.log.filter((c) => c.name === 'models.verify')).toEqual([{ name: 'models.verify', payload: { id: 'good' } }]);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Verify Damaged model' })));
    const damaged = await screen.findByText(/^Damaged: model\.onnx\.data .* convert the model again\.$/);
    expect(damaged.getAttribute('role')).toBe('status');
    // The good model's result stays where it was.
    expect(screen.getByText(/^Verified:/)).toBeTruthy();
  });
});
