// @vitest-environment jsdom
// Settings → Engines: adding an OpenAI-compatible server (its key a password field, never shown again; plain
// http to another machine only with the user's consent), testing it for its models and their context, and
// removing it after a confirmation.
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const KEY = 'sk-live-91c0ffee';

async function openEngines(backend: ReturnType<typeof fakeBackend>) {
  await mountApp(backend);
  fireEvent.keyDown(window, { key: '4', ctrlKey: true });
  return within(await screen.findByRole('form', { name: 'Add an engine' }));
}

function fill(form: ReturnType<typeof within>, fields: { name?: string; url?: string; key?: string }) {
  if (fields.name !== undefined) fireEvent.change(form.getByPlaceholderText('Lab cluster'), { target: { value: fields.name } });
  if (fields.url !== undefined) fireEvent.change(form.getByPlaceholderText('https://gpu.example.org:8000/v1'), { target: { value: fields.url } });
  if (fields.key !== undefined) fireEvent.change(form.getByPlaceholderText('optional'), { target: { value: fields.key } });
}

describe('Settings → Engines', () => {
  it('adds an https engine with a key kept out of sight, and lists its models with their context', async () => {
    const backend = fakeBackend();
    const form = await openEngines(backend);
    expect(screen.getByText('No engines yet.')).toBeTruthy();
    expect((form.getByPlaceholderText('optional') as HTMLInputElement).type).toBe('password');
    fill(form, { name: 'Lab cluster', url: 'https://gpu.example.org:8000', key: KEY });
    // https needs no consent: no checkbox.
    expect(form.queryByRole('checkbox')).toBeNull();
    fireEvent.click(form.getByRole('button', { name: 'Add engine' }));
    const row = within(await screen.findByRole('listitem', { name: 'Lab cluster' }));
    expect(backend.state.log.find((l) => l.name === 'engines.add')!.payload).toEqual({ name: 'Lab cluster', baseUrl: 'https://gpu.example.org:8000', apiKey: KEY, allowInsecureHttp: false });
    expect(row.getByText('gpu.example.org:8000')).toBeTruthy();
    expect(row.getByText(/API key kept in a file of the data folder that only your user account can read/)).toBeTruthy();
    expect(row.getByText('nvidia/Llama-3.1-8B-UltraLong-1M-Instruct')).toBeTruthy();
    expect(row.getByText('1M tokens')).toBeTruthy();
    // The form is emptied and the key appears nowhere on the page.
    expect((form.getByPlaceholderText('optional') as HTMLInputElement).value).toBe('');
    expect(document.body.innerHTML).not.toContain(KEY);
  });

  it('asks before plain http to another machine and says documents would travel unencrypted', async () => {
    const backend = fakeBackend();
    const form = await openEngines(backend);
    fill(form, { name: 'Office box', url: 'http://10.0.0.5:8000/v1' });
    const consent = form.getByRole('checkbox', { name: 'Allow plain http to this machine' });
    expect(form.getByText(/10\.0\.0\.5:8000 is reached without encryption: your documents and questions would travel unencrypted/)).toBeTruthy();
    const add = form.getByRole('button', { name: 'Add engine' }) as HTMLButtonElement;
    expect(add.disabled).toBe(true);
    fireEvent.click(consent);
    expect(add.disabled).toBe(false);
    fireEvent.click(add);
    const row = within(await screen.findByRole('listitem', { name: 'Office box' }));
    expect(row.getByText('unencrypted http')).toBeTruthy();
    expect(row.getByText('No API key.', { exact: false })).toBeTruthy();
    expect(backend.state.log.find((l) => l.name === 'engines.add')!.payload).toMatchObject({ allowInsecureHttp: true });

    // This machine's own server needs no consent.
    fill(form, { url: 'http://127.0.0.1:8000/v1' });
    expect(form.queryByRole('checkbox')).toBeNull();
  });

  it('shows why an engine was refused and keeps what was typed', async () => {
    const backend = fakeBackend();
    backend.state.refuseEngines = 'REMOTE_UNAUTHORIZED: gpu.example.org refused the API key (401): Unauthorized';
    const form = await openEngines(backend);
    fill(form, { name: 'Lab', url: 'https://gpu.example.org/v1', key: 'wrong' });
    fireEvent.click(form.getByRole('button', { name: 'Add engine' }));
    expect((await form.findByRole('alert')).textContent).toBe('gpu.example.org refused the API key (401): Unauthorized');
    expect((form.getByPlaceholderText('Lab cluster') as HTMLInputElement).value).toBe('Lab');
    expect(backend.state.engines).toEqual([]);
  });

  it('tests an engine again, and removes it only after a confirmation', async () => {
    const backend = fakeBackend();
    backend.state.engines = [
      { id: 'e1', name: 'Cluster', baseUrl: 'https://vllm.lab.example/v1', host: 'vllm.lab.example', hasKey: true, insecure: false, protection: 'os-keychain', createdAt: new Date(0).toISOString() },
    ];
    await openEngines(backend);
    const row = within(await screen.findByRole('listitem', { name: 'Cluster' }));
    expect(row.getByText(/API key kept sealed with this computer’s keychain/)).toBeTruthy();
    backend.state.remoteModels = [{ id: 'llama-4m', maxModelLen: null, ownedBy: null }];
    fireEvent.click(row.getByRole('button', { name: 'Test' }));
    expect(await row.findByText('llama-4m')).toBeTruthy();
    expect(row.getByText('Not reported by the server; it runs with')).toBeTruthy();

    fireEvent.click(row.getByRole('button', { name: 'Remove Cluster' }));
    expect(backend.state.engines).toHaveLength(1);
    fireEvent.click(within(row.getByRole('group', { name: 'Remove Cluster and its key?' })).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByRole('listitem', { name: 'Cluster' })).toBeNull());
    expect(backend.state.engines).toEqual([]);
  });

  it('replaces a key in a password field, and can remove it', async () => {
    const backend = fakeBackend();
    backend.state.engines = [
      { id: 'e1', name: 'Cluster', baseUrl: 'https://vllm.lab.example/v1', host: 'vllm.lab.example', hasKey: false, insecure: false, protection: 'user-only-file', createdAt: new Date(0).toISOString() },
    ];
    await openEngines(backend);
    const row = within(await screen.findByRole('listitem', { name: 'Cluster' }));
    fireEvent.click(row.getByRole('button', { name: 'Add key' }));
    const field = row.getByLabelText('New API key for Cluster') as HTMLInputElement;
    expect(field.type).toBe('password');
    fireEvent.change(field, { target: { value: KEY } });
    fireEvent.click(row.getByRole('button', { name: 'Save key' }));
    expect(await row.findByText(/API key kept in a file/)).toBeTruthy();
    expect(backend.state.log.find((l) => l.name === 'engines.update')!.payload).toEqual({ id: 'e1', apiKey: KEY });
    expect(row.queryByLabelText('New API key for Cluster')).toBeNull();
    expect(document.body.innerHTML).not.toContain(KEY);
    fireEvent.click(row.getByRole('button', { name: 'Replace key' }));
    fireEvent.click(row.getByRole('button', { name: 'Remove key' }));
    expect(await row.findByText(/No API key/)).toBeTruthy();
    expect(backend.state.log.filter((l) => l.name === 'engines.update').at(-1)!.payload).toEqual({ id: 'e1', apiKey: null });
  });
});
