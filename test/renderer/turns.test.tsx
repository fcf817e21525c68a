// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'm', name: 'Model', dir: '/m', precision: 'fp16', ioDtype: 'fp16', kvDtype: 'fp16', contextTokens: 131072, kvBytesPerToken: 131072, bytes: 1, demo: false, promptStyle: 'instructions', generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const report: DocumentSummary = { id: 'doc-1', title: 'Annual report', format: 'pdf', chars: 5000, tokens: 1200, pages: 12, importedAt: new Date(0).toISOString(), warnings: [] };
const shown = () => [...document.querySelectorAll('.message .bubble, .message .answer-text')].map((m) => m.textContent);

describe('conversation turns', () => {
  it('keeps an edited question\'s earlier version, said before asking, and switches between them with ‹ ›', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    const store = await mountApp(backend);
    act(() => store.getState().newConversation(['doc-1']));
    await act(() => store.getState().ask('First question?'));
    fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    expect(screen.getByText(/keeps this question and the answers after it/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Edit question'), { target: { value: 'Better question?' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Ask again' })));
    await waitFor(() => expect(shown()).toEqual(['Better question?', 'You asked: Better question?']));
    expect(screen.getByTestId('version').textContent).toBe('2/2');
    expect((screen.getByRole('button', { name: 'Next version' }) as HTMLButtonElement).disabled).toBe(true);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Previous version' })));
    expect(backend.state.log.at(-1)).toMatchObject({ name: 'chat.switchVersion', payload: { version: 1 } });
    expect(shown()).toEqual(['First question?', 'You asked: First question?']);
    expect(screen.getByTestId('version').textContent).toBe('1/2');
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Next version' })));
    expect(shown()).toEqual(['Better question?', 'You asked: Better question?']);
  });

  it('removes a stopped or empty turn, after asking, so the model no longer sees it', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    backend.state.answer = (q) => (q.startsWith('Oops') ? '' : `You asked: ${q}`);
    const store = await mountApp(backend);
    act(() => store.getState().newConversation(['doc-1']));
    await act(() => store.getState().ask('Oops, wrong question'));
    await act(() => store.getState().ask('Real question?'));
    const [empty] = screen.getAllByRole('listitem').filter((li) => li.classList.contains('assistant'));
    expect(within(empty).getByText('No answer.')).toBeTruthy();
    fireEvent.click(within(empty).getByRole('button', { name: 'Remove this turn' }));
    expect(within(empty).getByText('Remove this question and its answer?')).toBeTruthy();
    await act(async () => fireEvent.click(within(empty).getByRole('button', { name: 'Remove' })));
    expect(backend.state.log.at(-1)?.name).toBe('chat.removeTurn');
    expect(shown()).toEqual(['Real question?', 'You asked: Real question?']);
    expect(backend.state.conversations[0].messages.map((m) => m.content)).toEqual(['Real question?', 'You asked: Real question?']);
  });

  it('says "1 token processed", not "1 tokens"', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    const at = new Date(0).toISOString();
    const stats = { promptTokens: 1300, prefilledTokens: 1, generatedTokens: 2, documentSource: 'cache' as const, secondsToFirstToken: 0.1, tokensPerSecond: 20, stopped: false };
    backend.state.conversations.push({
      id: 'c1', title: 'Lamp', documentIds: ['doc-1'], modelId: 'm', createdAt: at, updatedAt: at,
      messages: [
        { id: 'q1', role: 'user', content: 'When?', quotes: [], stats: null, createdAt: at },
        { id: 'a1', role: 'assistant', content: 'In March.', quotes: [], stats, createdAt: at },
      ],
    });
    const store = await mountApp(backend);
    await act(() => store.getState().openConversation('c1'));
    expect(document.querySelector('.stats')!.textContent).toMatch(/· 1 token processed/);
  });
});
