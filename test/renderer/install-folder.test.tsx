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

describe('a paused download', () => {
  it('is offered for resuming on its catalog card, with what it has downloaded', async () => {
    const catalog = [{ id: 'ultralong-8b-1m', name: 'UltraLong-8B 1M Instruct', hfRepo: 'nvidia/x', licence: 'cc-by-nc-4.0', licenceUrl: 'https://example.org/', parameters: '8B', downloadBytes: 32_121_044_992, nativeContext: 1_048_576, description: 'UltraLong.' }];
    const backend = fakeBackend({ catalog });
    backend.state.pausedDownloads = [{ id: 'ultralong-8b-1m', bytes: 9_400_000_000 }];
    await mountApp(backend);
    const card = (await screen.findByRole('button', { name: 'Resume download' })).closest('li')!;
    expect(card.textContent).toContain('Paused with 9.4 GB of 32.1 GB downloaded.');
  });
});
