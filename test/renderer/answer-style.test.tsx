// @vitest-environment jsdom
// Settings → How answers are written (issue 25 point 4): instructions and sampling, saved app-wide, a bad
// value refused in words.
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

describe('how answers are written', () => {
  it('saves instructions, temperature and seed app-wide, and refuses a top-p over 1', async () => {
    const backend = fakeBackend({});
    const store = await mountApp(backend);
    await act(async () => store.setState({ view: 'settings' }));
    const section = screen.getByRole('group', { name: 'How answers are written' });
    const save = within(section).getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(within(section).getByLabelText('Instructions'), { target: { value: 'Answer in French.' } });
    fireEvent.change(within(section).getByLabelText('Temperature'), { target: { value: '0.3' } });
    fireEvent.change(within(section).getByLabelText('Top-p'), { target: { value: '1.5' } });
    expect(within(section).getByRole('alert').textContent).toMatch(/^Top-p: /);
    expect(save.disabled).toBe(true);
    fireEvent.change(within(section).getByLabelText('Top-p'), { target: { value: '' } });
    fireEvent.change(within(section).getByLabelText('Seed'), { target: { value: '7' } });
    await act(async () => fireEvent.click(save));
    expect(backend.state.settings.answerStyle).toEqual({ instructions: 'Answer in French.', temperature: 0.3, topP: null, seed: 7 });
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Use the model’s defaults' })));
    expect((within(section).getByLabelText('Temperature') as HTMLInputElement).value).toBe('');
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Save' })));
    expect(backend.state.settings.answerStyle).toEqual({ instructions: '', temperature: null, topP: null, seed: null });
  });
});
