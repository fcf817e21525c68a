// @vitest-environment jsdom
// Settings → Engines: a server that reports no context for a model (transformers serve) is asked for it when the
// engine is added; the figure is checked as typed, saved, shown as the user's, changed and forgotten (issue 26
// point 4).
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

describe('a context the server does not report', () => {
  it('is asked for when the engine is added, and can be changed and forgotten', async () => {
    const backend = fakeBackend();
    backend.state.remoteModels = [{ id: 'quire/quire-nano', maxModelLen: null, ownedBy: null }];
    await mountApp(backend);
    fireEvent.keyDown(window, { key: '4', ctrlKey: true });
    const form = within(await screen.findByRole('form', { name: 'Add an engine' }));
    fireEvent.change(form.getByPlaceholderText('Lab cluster'), { target: { value: 'Workstation' } });
    fireEvent.change(form.getByPlaceholderText('https://gpu.example.org:8000/v1'), { target: { value: 'https://ws.example.org/v1' } });
    await act(async () => fireEvent.click(form.getByRole('button', { name: 'Add engine' })));
    const ask = within(await screen.findByRole('form', { name: 'Context of quire/quire-nano' }));
    const input = ask.getByLabelText('Context quire/quire-nano runs with');
    const save = ask.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(input, { target: { value: '128 thousand' } });
    expect(ask.getByRole('alert').textContent).toBe('a number of tokens, like 131072 or 128K');
    fireEvent.change(input, { target: { value: '32M' } });
    expect(ask.getByRole('alert').textContent).toBe('from 256 to 16M');
    expect(save.disabled).toBe(true);
    fireEvent.change(input, { target: { value: '128K' } });
    await act(async () => fireEvent.click(save));
    expect(backend.state.log.at(-1)).toEqual({ name: 'engines.setContext', payload: { id: 'e1', model: 'quire/quire-nano', context: 131072 } });
    const row = within(screen.getByRole('listitem', { name: 'Workstation' }));
    expect(row.getByText(/128K tokens/).textContent).toContain('(as you stated)');
    await act(async () => fireEvent.click(row.getByRole('button', { name: 'Change' })));
    const change = within(screen.getByRole('form', { name: 'Context of quire/quire-nano' }));
    expect((change.getByLabelText('Context quire/quire-nano runs with') as HTMLInputElement).value).toBe('131072');
    await act(async () => fireEvent.click(change.getByRole('button', { name: 'Forget' })));
    expect(backend.state.remoteModels[0].maxModelLen).toBeNull();
    expect(screen.getByRole('form', { name: 'Context of quire/quire-nano' })).toBeTruthy();
  });
});
