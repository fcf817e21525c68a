// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, DocumentSummary, InstalledModel, RemoteEngine } from '../../electron/common/contract.ts';
import { QuireError } from '../../electron/common/errors.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'm', name: 'Model', dir: '/m', precision: 'fp16', ioDtype: 'fp16', kvDtype: 'fp16', contextTokens: 131072, kvBytesPerToken: 131072, bytes: 1, demo: false, promptStyle: 'instructions', generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const report: DocumentSummary = { id: 'doc-1', title: 'Annual report', format: 'pdf', chars: 5000, tokens: 1200, pages: 12, importedAt: new Date(0).toISOString(), warnings: [] };
const cluster: RemoteEngine = { id: 'e1', name: 'Lab cluster', baseUrl: 'https://gpu-box.example:8000/v1', host: 'gpu-box.example:8000', hasKey: true, insecure: false, protection: 'os-keychain', createdAt: new Date(0).toISOString() };
const REMOTE_MODEL = 'nvidia/Llama-3.1-8B-UltraLong-1M-Instruct';

const startConversation = async () => {
  fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
  await screen.findByTestId('fit');
};

describe('a remote engine in the chat', () => {
  it('is offered beside the local model with its context, and says where documents go', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    backend.state.engines.push(cluster);
    await mountApp(backend);
    await startConversation();
    const picker = await screen.findByLabelText('Answered by');
    expect(within(picker).getByRole('option', { name: 'This computer — Model' })).toBeTruthy();
    expect(within(picker).getByRole('option', { name: `${REMOTE_MODEL} · 1M context` })).toBeTruthy();
    expect(screen.queryByTestId('remote-note')).toBeNull();

    await act(async () => fireEvent.change(picker, { target: { value: JSON.stringify(['e1', REMOTE_MODEL]) } }));
    expect(screen.getByTestId('remote-note').textContent).toBe('Documents are sent to gpu-box.example:8000');
    await waitFor(() => expect(screen.getByTestId('fit').textContent).toContain(`the context of ${REMOTE_MODEL} on gpu-box.example:8000`));
    expect(backend.state.log.filter((c) => c.name === 'chat.fit').at(-1)!.payload).toEqual({ documentIds: ['doc-1'], engine: { engineId: 'e1', model: REMOTE_MODEL } });

    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'What changed in March?' } });
    await act(async () => fireEvent.keyDown(screen.getByLabelText('Question'), { key: 'Enter' }));
    await screen.findByText('You asked: What changed in March?');
    expect(backend.state.log.find((c) => c.name === 'chat.create')!.payload).toEqual({ documentIds: ['doc-1'], engine: { engineId: 'e1', model: REMOTE_MODEL } });
    // The thread keeps saying it, and the next question can go to the local model instead.
    expect(screen.getByTestId('remote-note').textContent).toBe('Documents are sent to gpu-box.example:8000');
    await act(async () => fireEvent.change(screen.getByLabelText('Answered by'), { target: { value: 'local' } }));
    expect(backend.state.log.filter((c) => c.name === 'chat.setEngine').at(-1)!.payload).toEqual({ id: 'c1', engine: null });
    expect(screen.queryByTestId('remote-note')).toBeNull();
  });

  it("shows the server's cache use in an answer's stats", async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    backend.state.engines.push(cluster);
    const answer: ChatMessage = {
      id: 'a1',
      role: 'assistant',
      content: 'In March.',
      quotes: [],
      stats: { promptTokens: 1300, prefilledTokens: 12, generatedTokens: 3, documentSource: null, secondsToFirstToken: 0.4, tokensPerSecond: 25, stopped: false, remote: { host: 'gpu-box.example:8000', model: REMOTE_MODEL, cachedTokens: 1288 } },
      createdAt: new Date(0).toISOString(),
    };
    backend.state.conversations.push({
      id: 'c1',
      title: 'March',
      documentIds: ['doc-1'],
      modelId: null,
      engine: { engineId: 'e1', model: REMOTE_MODEL, host: 'gpu-box.example:8000' },
      createdAt: new Date(0).toISOString(),
      updatedAt: new Date(0).toISOString(),
      messages: [{ id: 'q1', role: 'user', content: 'When?', quotes: [], stats: null, createdAt: new Date(0).toISOString() }, answer],
    });
    const store = await mountApp(backend);
    await act(() => store.getState().openConversation('c1'));
    expect(screen.getByText(/1,288 of 1,300 tokens came from the server's cache/).textContent).toContain(`${REMOTE_MODEL} on gpu-box.example:8000`);
    expect(screen.getByTestId('remote-note').textContent).toBe('Documents are sent to gpu-box.example:8000');
  });

  it("shows a server's refusal as one line that can be dismissed, and lists the conversation with its host", async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    backend.state.engines.push(cluster);
    backend.state.answer = () => {
      throw new QuireError('REMOTE_UNREACHABLE', 'gpu-box.example:8000 could not be reached: the connection was refused');
    };
    await mountApp(backend);
    await startConversation();
    await act(async () => fireEvent.change(await screen.findByLabelText('Answered by'), { target: { value: JSON.stringify(['e1', REMOTE_MODEL]) } }));
    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'What changed?' } });
    await act(async () => fireEvent.keyDown(screen.getByLabelText('Question'), { key: 'Enter' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('gpu-box.example:8000 could not be reached: the connection was refused');
    fireEvent.click(within(alert).getByRole('button', { name: 'Dismiss' }));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
    const listed = within(screen.getByRole('complementary', { name: 'Conversations' })).getByRole('button', { name: /Annual report/ });
    expect(listed.textContent).toContain('on gpu-box.example:8000');
  });

  it('runs the self-check on a remote model, with no model installed here', async () => {
    const backend = fakeBackend({ installed: [], documents: [report] });
    backend.state.engines.push(cluster);
    await mountApp(backend);
    fireEvent.click(screen.getByRole('button', { name: /Models/ }));
    const section = await screen.findByRole('region', { name: 'Self-check' });
    // Nothing local to check until the remote model is chosen.
    expect(within(section).getByRole('button', { name: 'Run self-check' }).hasAttribute('disabled')).toBe(true);
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Check a remote engine’s model' })));
    await act(async () => fireEvent.change(await within(section).findByLabelText('Answered by'), { target: { value: JSON.stringify(['e1', REMOTE_MODEL]) } }));
    expect(section.textContent).toContain('up to 1M tokens');
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Run self-check' })));
    expect(backend.state.log.filter((c) => c.name === 'models.selfCheck').at(-1)!.payload).toEqual({ engine: { engineId: 'e1', model: REMOTE_MODEL } });
    await within(section).findByTestId('self-check-result');
  });

  it('offers no choice where no remote engine was added', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    await mountApp(backend);
    await startConversation();
    expect(screen.queryByLabelText('Answered by')).toBeNull();
    expect(screen.queryByTestId('remote-note')).toBeNull();
  });
});
