// @vitest-environment jsdom
// A conversation's own instructions and sampling (issue 25 point 4): the panel starts from the app's settings,
// saves them as the conversation's own (a bad value refused in words), and gives it the app's again.
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'm', name: 'Model', dir: '/m', precision: 'fp16', ioDtype: 'fp16', kvDtype: 'fp16', contextTokens: 131072, kvBytesPerToken: 131072, bytes: 1, demo: false, promptStyle: 'instructions', generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const report: DocumentSummary = { id: 'doc-1', title: 'Annual report', format: 'pdf', chars: 5000, tokens: 1200, pages: 12, importedAt: new Date(0).toISOString(), warnings: [] };
const value = (panel: HTMLElement, label: string) => (within(panel).getByLabelText(label) as HTMLInputElement).value;

describe('conversation settings', () => {
  it('start from the app’s, are saved as the conversation’s own, and can follow the app’s again', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    backend.state.settings.answerStyle = { instructions: 'Be brief.', temperature: 0.7, topP: null, seed: null };
    const store = await mountApp(backend);
    act(() => store.getState().newConversation(['doc-1']));
    await act(() => store.getState().ask('Who keeps the lighthouse?'));
    const open = screen.getByRole('button', { name: /^Conversation settings/ });
    expect(open.textContent).toContain('as in Settings');
    fireEvent.click(open);
    const panel = screen.getByRole('dialog', { name: 'Conversation settings' });
    expect(within(panel).getByRole('status').textContent).toContain('follows the app’s settings');
    expect([value(panel, 'Instructions'), value(panel, 'Temperature'), value(panel, 'Top-p'), value(panel, 'Seed'), value(panel, 'Longest answer')]).toEqual(['Be brief.', '0.7', '', '', String(backend.state.settings.answerTokens)]);

    fireEvent.change(within(panel).getByLabelText('Instructions'), { target: { value: 'Answer in French.' } });
    fireEvent.change(within(panel).getByLabelText('Temperature'), { target: { value: '3' } });
    expect(within(panel).getByRole('alert').textContent).toMatch(/^Temperature: /);
    const save = within(panel).getByRole('button', { name: 'Save for this conversation' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(within(panel).getByLabelText('Temperature'), { target: { value: '0.2' } });
    fireEvent.change(within(panel).getByLabelText('Seed'), { target: { value: '42' } });
    fireEvent.change(within(panel).getByLabelText('Longest answer'), { target: { value: '256' } });
    await act(async () => fireEvent.click(save));
    expect(backend.state.log.at(-1)).toMatchObject({ name: 'chat.setStyle', payload: { style: { instructions: 'Answer in French.', temperature: 0.2, topP: null, seed: 42, answerTokens: 256 } } });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(store.getState().conversation!.style).toMatchObject({ instructions: 'Answer in French.', answerTokens: 256 });
    // The app's settings are unchanged.
    expect(backend.state.settings.answerStyle.instructions).toBe('Be brief.');

    fireEvent.click(screen.getByRole('button', { name: /^Conversation settings/ }));
    const again = screen.getByRole('dialog', { name: 'Conversation settings' });
    expect(within(again).getByRole('status').textContent).toContain('has its own');
    expect([value(again, 'Instructions'), value(again, 'Temperature'), value(again, 'Seed'), value(again, 'Longest answer')]).toEqual(['Answer in French.', '0.2', '42', '256']);
    await act(async () => fireEvent.click(within(again).getByRole('button', { name: 'Use the app’s settings' })));
    expect(backend.state.log.at(-1)).toMatchObject({ name: 'chat.setStyle', payload: { style: null } });
    expect(store.getState().conversation!.style).toBeNull();
    expect(screen.getByRole('button', { name: /^Conversation settings/ }).textContent).toContain('as in Settings');
  });

  it('closes with Escape, keeping nothing typed', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    const store = await mountApp(backend);
    act(() => store.getState().newConversation(['doc-1']));
    await act(() => store.getState().ask('Who keeps the lighthouse?'));
    fireEvent.click(screen.getByRole('button', { name: /^Conversation settings/ }));
    const panel = screen.getByRole('dialog', { name: 'Conversation settings' });
    fireEvent.change(within(panel).getByLabelText('Seed'), { target: { value: '5' } });
    fireEvent.keyDown(within(panel).getByLabelText('Seed'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(backend.state.log.some((c) => c.name === 'chat.setStyle')).toBe(false);
  });
});
