// @vitest-environment jsdom
// Issue 24 point 7: a PDF refused as password-protected asks for its password in its import row and is
// imported with it; the password goes with that one call and is kept nowhere in the app's state.
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

describe('a password-protected PDF', () => {
  it('asks for its password, says when it is not right, and imports the file with the right one', async () => {
    const backend = fakeBackend();
    backend.state.refuseImports = 'ENCRYPTED: the PDF is password-protected: open it with its password';
    const store = await mountApp(backend);
    fireEvent.click(screen.getByRole('button', { name: /Library/ }));
    const input = screen.getByLabelText('Choose files to import') as HTMLInputElement;
    Object.defineProperty(input, 'files', { value: [new File(['%PDF-1.7 locked'], 'minutes.pdf')], configurable: true });
    act(() => void fireEvent.change(input));
    const imports = screen.getByRole('list', { name: 'Imports' });
    const field = await within(imports).findByLabelText('Password for minutes.pdf');
    const open = within(imports).getByRole('button', { name: 'Open' });
    // A wrong password: refused again, and asked again.
    backend.state.refuseImports = 'ENCRYPTED: the PDF is password-protected and that password is not right';
    fireEvent.change(field, { target: { value: 'guess' } });
    fireEvent.click(open);
    await waitFor(() => expect(within(imports).getByText(/that password is not right/)).toBeTruthy());
    // The right one.
    backend.state.refuseImports = null;
    fireEvent.change(within(imports).getByLabelText('Password for minutes.pdf'), { target: { value: 'board-2026' } });
    fireEvent.click(within(imports).getByRole('button', { name: 'Open' }));
    await waitFor(() => expect(screen.queryByRole('list', { name: 'Imports' })).toBeNull());
    const calls = backend.state.log.filter((c) => c.name === 'library.import').map((c) => (c.payload as { password?: string }).password);
    expect(calls).toEqual([undefined, 'guess', 'board-2026']);
    expect(store.getState().documents.map((d) => d.title)).toEqual(['minutes']);
    expect(JSON.stringify(store.getState())).not.toMatch(/guess|board-2026/);
  });
});
