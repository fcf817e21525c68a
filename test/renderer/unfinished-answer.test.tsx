// @vitest-environment jsdom
// Issue 23 point 3 in the page: a question the server never received goes back into the box, marked not sent;
// an answer the app stopped before it finished shows its text, says so, and Retry answers it again.
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation, DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { keepDraft } from '../../renderer/src/store/draft-keeper.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'm', name: 'Model', dir: '/m', precision: 'fp16', ioDtype: 'fp16', kvDtype: 'fp16', contextTokens: 131072, kvBytesPerToken: 131072, bytes: 1, demo: false, promptStyle: 'instructions', generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const report: DocumentSummary = { id: 'doc-1', title: 'Annual report', format: 'pdf', chars: 5000, tokens: 1200, pages: 12, importedAt: new Date(0).toISOString(), warnings: [] };
const at = new Date(0).toISOString();

function stored(answer: Partial<ChatMessage>): Conversation {
  const question: ChatMessage = { id: 'q1', role: 'user', content: 'When was the lamp replaced?', quotes: [], stats: null, createdAt: at };
  const reply: ChatMessage = { id: 'a1', role: 'assistant', content: 'The lamp was replaced', quotes: [], stats: null, createdAt: at, ...answer };
  return { id: 'c1', title: 'Lamp', documentIds: ['doc-1'], modelId: 'm', createdAt: at, updatedAt: at, messages: [question, reply] };
}

// The tab's session storage, shared by the pages opened in it.
function tabStorage() {
  const items = new Map<string, string>();
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) };
}

async function open(conversation: Conversation, storage = tabStorage()) {
  const backend = fakeBackend({ installed: [model], documents: [report] });
  backend.state.conversations.push(conversation);
  const store = await mountApp(backend, (s) => keepDraft(s, storage));
  await act(() => store.getState().openConversation('c1'));
  return backend;
}

const box = () => screen.getByLabelText('Question') as HTMLTextAreaElement;
async function ask(question: string) {
  fireEvent.change(box(), { target: { value: question } });
  await act(async () => fireEvent.keyDown(box(), { key: 'Enter' }));
}

describe('a question the server never received', () => {
  it('goes back into the box, marked not sent', async () => {
    const backend = await open(stored({}));
    backend.state.diesInAsk = 'unacknowledged';
    await ask('And the keeper?');
    expect(box().value).toBe('And the keeper?');
    expect(screen.getByText(/^Not sent — the connection to Quire was lost before it received this question/)).toBeTruthy();
    expect(box().getAttribute('aria-describedby')).toBe('not-sent');
    // Sending it (once the server is back) clears the mark.
    backend.state.down = false;
    backend.state.diesInAsk = null;
    await act(async () => fireEvent.keyDown(box(), { key: 'Enter' }));
    expect(box().value).toBe('');
    expect(screen.queryByText(/^Not sent/)).toBeNull();
    expect(backend.state.conversations[0].messages.at(-2)!.content).toBe('And the keeper?');
  });

  it('is still in the box, marked not sent, in the page opened next in the tab (a reload, a restarted server)', async () => {
    const storage = tabStorage();
    const backend = await open(stored({}), storage);
    backend.state.diesInAsk = 'unacknowledged';
    await ask('And the keeper?');
    cleanup();
    await open(stored({}), storage);
    expect(box().value).toBe('And the keeper?');
    expect(screen.getByText(/^Not sent — the connection to Quire was lost/)).toBeTruthy();
    // Cleared in the box, it is gone from the next page too.
    fireEvent.change(box(), { target: { value: '' } });
    cleanup();
    await open(stored({}), storage);
    expect(box().value).toBe('');
  });

  it('stays out of the box once the server acknowledged it (it keeps the question)', async () => {
    const backend = await open(stored({}));
    backend.state.diesInAsk = 'acknowledged';
    await ask('And the keeper?');
    expect(box().value).toBe('');
    expect(screen.queryByText(/^Not sent/)).toBeNull();
  });
});

describe('an answer that did not finish', () => {
  it('shows its text, says it was interrupted, and Retry answers the question again in its place', async () => {
    const backend = await open(stored({ status: 'interrupted' }));
    const answer = screen.getByText('The lamp was replaced').closest('li')!;
    expect(within(answer).getByRole('status').textContent).toMatch(/^Interrupted — the app stopped before this answer finished\./);
    expect(within(answer).queryByRole('button', { name: 'Regenerate' })).toBeNull();
    await act(async () => fireEvent.click(within(answer).getByRole('button', { name: 'Retry' })));
    expect(backend.state.log.filter((c) => c.name === 'chat.ask').map((c) => c.payload)).toEqual([{ conversationId: 'c1', replaceFrom: 'a1' }]);
    expect(screen.getByText('You asked: When was the lamp replaced?')).toBeTruthy();
    expect(screen.queryByText(/^Interrupted/)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('says why one failed, in the engine’s words', async () => {
    await open(stored({ status: 'failed', error: 'the engine exited (SIGKILL)' }));
    expect(screen.getByText('Failed — the engine exited (SIGKILL).')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeTruthy();
  });
});

// Issue 25 point 8: Cancel during a long read stores the question with an empty answer, stopped; the documents
// were read only in part, so neither the answer's line nor the conversation says they were read or are ready.
describe('an answer stopped while the documents were read', () => {
  it('says the reading stopped, not that the documents were read in full and are ready', async () => {
    const stats = { promptTokens: 2797, documentTokens: 2768, prefilledTokens: 1024, generatedTokens: 0, documentSource: 'prefill' as const, secondsToFirstToken: 0, tokensPerSecond: 0, stopped: true };
    await open(stored({ content: '', stats }));
    expect(screen.getByText('Stopped before answering.')).toBeTruthy();
    expect(screen.getByText('stopped while reading the documents · documents 2,768 tokens · 1,024 tokens processed')).toBeTruthy();
    expect(screen.queryByText(/read in full/)).toBeNull();
    expect(screen.queryByTestId('documents-ready')).toBeNull();
  });
});
