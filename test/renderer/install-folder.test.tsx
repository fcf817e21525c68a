// @vitest-environment jsdom
// Models → From a folder on this computer (issue 25 point 3): the path and the precision go to models.install.
import { act, fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

describe('installing from a folder', () => {
  it('sends the folder with the precision chosen, and shows the outcome on its card', async () => {
    const backend = fakeBackend({});
    await mountApp(backend);
    const install = screen.getByRole('button', { name: 'Install from folder' }) as HTMLButtonElement;
    expect(install.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Model folder'), { target: { value: '/home/ada/models/Llama-3.1-8B-Instruct' } });
    fireEvent.change(screen.getByLabelText('Precision for the folder'), { target: { value: 'int4' } });
    await act(async () => fireEvent.click(install));
    expect(backend.state.log.find((c) => c.name === 'models.install')!.payload).toMatchObject({ folder: '/home/ada/models/Llama-3.1-8B-Instruct', precision: 'int4' });
    // The fake installs nothing: its refusal is shown on this card (the job is the folder's model id).
    expect(install.closest('form')!.querySelector('[role="alert"]')!.textContent).toContain('installs nothing');
  });
});
