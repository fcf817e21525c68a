// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation, DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';


const model: InstalledModel = { id: 'm', name: 'Model', dir: '/m', precision: 'fp16', ioDtype: 'fp16', kvDtype: 'fp16', contextTokens: 131072, kvBytesPerToken: 131072, bytes: 1, demo: false, promptStyle: 'instructions', generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const report: DocumentSummary = { id: 'doc-1', title: 'Annual report', format: 'pdf', chars: 5000, tokens: 1200, pages: 12, importedAt: new Date(0).toISOString(), warnings: [] };
const at = new Date(0).toISOString();

// A conversation about the report as the backend stores it: the question "When?" and `answer`.
function stored(id: string, answer: Omit<ChatMessage, 'role' | 'createdAt'>, extra: Partial<Conversation> = {}): Conversation {
  const question: ChatMessage = { id: `${id}-q`, role: 'user', content: 'When?', quotes: [], stats: null, createdAt: at };
  return { id, title: 'Lamp', documentIds: ['doc-1'], modelId: 'm', createdAt: at, updatedAt: at, messages: [question, { ...answer, role: 'assistant', createdAt: at }], ...extra };
}



describe('chat', () => {
  it('starts a conversation from the library, shows the fit, streams the answer and lists the conversation', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    await mountApp(backend);
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    await screen.findByTestId('fit');
    expect(screen.getByTestId('fit').textContent).toMatch(/300 tokens — fits the 4K context/);
    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'What changed in March?' } });
    await act(async () => fireEvent.keyDown(screen.getByLabelText('Question'), { key: 'Enter' }));
    await waitFor(() => expect(screen.getByText('You asked: What changed in March?')).toBeTruthy());
    expect(backend.state.log.filter((c) => c.name === 'chat.ask')).toHaveLength(1);
    expect(within(screen.getByRole('complementary', { name: 'Conversations' })).getByText('What changed in March?')).toBeTruthy();
  });

  it('links verified quotes to the viewer at their page and marks unverified ones', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    const answer: ChatMessage = {
      id: 'a1',
      role: 'assistant',
      content: 'The report says "the lamp was replaced in March" and "the keeper never left".',
      quotes: [
        { quote: 'the lamp was replaced in March', verified: true, start: 0, end: 10, anchor: { kind: 'page', label: '7', start: 0, end: 30 }, documentId: 'doc-1' },
        { quote: 'the keeper never left', verified: false, start: null, end: null, anchor: null, documentId: null },
      ],
      stats: { promptTokens: 1300, prefilledTokens: 12, generatedTokens: 20, documentSource: 'snapshot', secondsToFirstToken: 0.4, tokensPerSecond: 25, stopped: false },
      createdAt: new Date(0).toISOString(),
    };
    backend.state.conversations.push(stored('c1', answer));
    const store = await mountApp(backend);
    await act(() => store.getState().openConversation('c1'));
    expect(screen.getByText(/documents restored from their saved cache/)).toBeTruthy();
    expect(screen.getByText('1 of 2 quotes verified')).toBeTruthy();
    expect(screen.getByText('unverified').closest('.quote')!.textContent).toContain('the keeper never left');
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'p. 7' })));
    const viewer = await screen.findByRole('dialog', { name: 'Document: Annual report' });
    expect(within(viewer).getByText(/Text of/).tagName).toBe('MARK');
    fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('says when the last answer is shown but waits for room on the disk', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    backend.state.conversations.push(
      stored('c-full', { id: 'unsaved-1', content: 'In March.', quotes: [], stats: null }, { unsaved: 'The disk is full: this answer is not saved yet.' }),
    );
    const store = await mountApp(backend);
    await act(() => store.getState().openConversation('c-full'));
    expect(screen.getByRole('alert').textContent).toBe('The disk is full: this answer is not saved yet.');
    expect(screen.getByText('In March.')).toBeTruthy();
  });

  it('shows why a document was processed again when its saved cache was damaged', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    const warning = "this document's saved cache was damaged (snapshot block 3 fails its checksum); it was discarded and the document processed again";
    const stats = { promptTokens: 1300, prefilledTokens: 1300, generatedTokens: 20, documentSource: 'prefill' as const, secondsToFirstToken: 4, tokensPerSecond: 25, stopped: false, warnings: [warning] };
    backend.state.conversations.push(stored('c2', { id: 'a1', content: 'In March.', quotes: [], stats }));
    const store = await mountApp(backend);
    await act(() => store.getState().openConversation('c2'));
    expect(screen.getByText(warning).getAttribute('role')).toBe('status');
  });

  it('regenerates an answer and edits a question through the client', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    const store = await mountApp(backend);
    act(() => store.getState().newConversation(['doc-1']));
    await act(() => store.getState().ask('First question?'));
    const firstAnswer = store.getState().conversation!.messages[1];
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Regenerate' })));
    expect(backend.state.log.at(-2)).toMatchObject({ name: 'chat.ask', payload: { replaceFrom: firstAnswer.id } });
    fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    fireEvent.change(screen.getByLabelText('Edit question'), { target: { value: 'Second question?' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Ask again' })));
    await waitFor(() => expect(screen.getByText('You asked: Second question?')).toBeTruthy());
    expect(store.getState().conversation!.messages.map((m) => m.content)).toEqual(['Second question?', 'You asked: Second question?']);
  });
});
