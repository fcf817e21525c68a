// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

describe('Settings → Saved document caches', () => {
  it('shows what the caches take, changes their space and deletes them after a confirmation', async () => {
    const backend = fakeBackend({});
    const store = await mountApp(backend);
    await act(async () => store.setState({ view: 'settings' }));
    const section = screen.getByRole('group', { name: 'Saved document caches' });
    expect(within(section).getByTestId('saved-caches-usage').textContent).toBe('3 saved, 41.2 GB · 412 GB free on this disk');
    const limit = within(section).getByLabelText('Space for saved caches') as HTMLSelectElement;
    expect(limit.selectedOptions[0].textContent).toBe('Up to 64.0 GB');
    await act(async () => fireEvent.change(limit, { target: { value: String(256e9) } }));
    expect(backend.state.settings.savedCacheBytes).toBe(256e9);
    // Where the disk holds less than the limit, the section says what actually bounds them.
    backend.state.savedCaches = { ...backend.state.savedCaches, roomBytes: 120e9 };
    await act(async () => store.getState().loadSavedCaches());
    expect(within(section).getByTestId('saved-caches-usage').textContent).toContain('the disk leaves room for 120 GB');
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Delete saved caches…' })));
    expect(backend.state.savedCaches.files).toBe(3);
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Keep them' })));
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Delete saved caches…' })));
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Delete 3 (41.2 GB)' })));
    expect(backend.state.savedCaches.files).toBe(0);
    expect(within(section).getByTestId('saved-caches-usage').textContent).toMatch(/^None saved now/);
    expect(within(section).queryByRole('button', { name: 'Delete saved caches…' })).toBeNull();
  });
});
