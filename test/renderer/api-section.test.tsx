// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

describe('Settings → API for other apps', () => {
  it('turns the API on, shows its address and key, moves it to another port and turns it off', async () => {
    const backend = fakeBackend({});
    const store = await mountApp(backend);
    await act(async () => store.setState({ view: 'settings' }));
    const section = screen.getByRole('group', { name: 'API for other apps' });
    expect(within(section).queryByTestId('api-status')).toBeNull();
    await act(async () => fireEvent.click(within(section).getByRole('checkbox')));
    expect(backend.state.settings.apiServer).toEqual({ enabled: true, port: 8400, maxTokens: 4096 });
    expect(within(section).getByTestId('api-status').textContent).toContain('http://127.0.0.1:8400/v1');
    expect(within(section).getByTestId('api-status').textContent).toContain('quire-fake-key');
    fireEvent.change(within(section).getByLabelText('Port'), { target: { value: '80' } });
    expect(within(section).getByRole('alert').textContent).toBe('Port: a whole number from 1,024 to 65,535.');
    expect((within(section).getByRole('button', { name: 'Use this port' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(within(section).getByLabelText('Port'), { target: { value: '8511' } });
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Use this port' })));
    expect(within(section).getByTestId('api-status').textContent).toContain('http://127.0.0.1:8511/v1');
    // The longest answer it gives: refused in words out of range, kept with the port when valid.
    const cap = within(section).getByLabelText('Answer limit');
    fireEvent.change(cap, { target: { value: '40000' } });
    expect(within(section).getByRole('alert').textContent).toBe('Answer limit: a whole number from 1 to 32,768.');
    expect((within(section).getByRole('button', { name: 'Use this limit' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(cap, { target: { value: '512' } });
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Use this limit' })));
    expect(backend.state.settings.apiServer).toEqual({ enabled: true, port: 8511, maxTokens: 512 });
    await act(async () => fireEvent.click(within(section).getByRole('checkbox')));
    expect(backend.state.settings.apiServer).toEqual({ enabled: false, port: 8511, maxTokens: 512 });
    expect(within(section).queryByTestId('api-status')).toBeNull();
  });

  it('beside the running API, an example request in curl and in Python with its address, key and model', async () => {
    const backend = fakeBackend({ installed: [{ id: 'quire-nano', name: 'quire-nano', dir: '/m', precision: 'fp32', ioDtype: 'fp32', kvDtype: 'fp32', contextTokens: 4096, kvBytesPerToken: 1, bytes: 1, demo: true, promptStyle: 'bare', generation: { greedy: true, temperature: 0, topP: 1 } }] });
    const store = await mountApp(backend);
    await act(async () => store.setState({ view: 'settings' }));
    const section = screen.getByRole('group', { name: 'API for other apps' });
    expect(within(section).queryByTestId('api-examples')).toBeNull();
    await act(async () => fireEvent.click(within(section).getByRole('checkbox')));
    const curl = within(section).getByLabelText('Example request in curl').textContent!;
    expect(curl).toContain('curl http://127.0.0.1:8400/v1/chat/completions');
    expect(curl).toContain("-H 'Authorization: Bearer quire-fake-key'");
    expect(curl).toContain('"model":"quire-nano"');
    fireEvent.click(within(section).getByRole('button', { name: 'Python' }));
    const python = within(section).getByLabelText('Example request in Python').textContent!;
    expect(python).toContain('client = OpenAI(base_url="http://127.0.0.1:8400/v1", api_key="quire-fake-key")');
    expect(python).toContain('model="quire-nano"');
  });
});
