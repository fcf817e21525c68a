// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'm', name: 'Model', dir: '/m', precision: 'fp16', ioDtype: 'fp16', kvDtype: 'fp16', contextTokens: 131072, kvBytesPerToken: 131072, bytes: 1, demo: false, promptStyle: 'instructions', generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const report: DocumentSummary = { id: 'doc-1', title: 'Annual report', format: 'pdf', chars: 5000, tokens: 1200, pages: 12, importedAt: new Date(0).toISOString(), warnings: [] };
const card = () => screen.getByRole('list', { name: 'Installed models' });

// Issue 23 point 1: a load verifies a model whose files changed in full; the UI shows how far it has read.
describe('the check of a changed model at load', () => {
  it("shows its progress on the model's card, goes when it passes, and says what it found damaged", async () => {
    const backend = fakeBackend({ installed: [model] });
    const store = await mountApp(backend);
    act(() => store.getState().setView('models'));
    act(() => backend.emit('models.verifyProgress', { id: 'm', doneBytes: 43, totalBytes: 100, atLoad: true }));
    expect(within(card()).getByRole('status').textContent).toBe("Checking the model's files… 43%");
    expect(within(card()).getByRole('progressbar', { name: 'Model file check progress' }).getAttribute('aria-valuenow')).toBe('43');
    act(() => backend.emit('models.verifyProgress', { id: 'm', doneBytes: 100, totalBytes: 100, atLoad: true }));
    expect(within(card()).queryByRole('status')).toBeNull();
    act(() => backend.emit('models.verifyProgress', { id: 'm', doneBytes: 60, totalBytes: 100, atLoad: true, error: 'model.onnx.data in /m does not match the checksum recorded when it was converted; convert the model again' }));
    expect(within(card()).getByRole('status').textContent).toMatch(/^Damaged: model\.onnx\.data .* convert the model again\.$/);
  });

  it('is what a question waiting on the load says on its progress line', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    let answer = () => undefined as void;
    backend.state.gates['chat.ask'] = new Promise<void>((resolve) => (answer = resolve));
    await mountApp(backend);
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    await screen.findByTestId('fit');
    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'What changed in March?' } });
    await act(async () => fireEvent.keyDown(screen.getByLabelText('Question'), { key: 'Enter' }));
    const line = () => within(screen.getByTestId('progress'));
    const conversationId = backend.state.conversations[0]!.id;
    act(() => backend.emit('chat.progress', { conversationId, phase: 'loading', done: 0, total: 0, tokensPerSecond: 0, etaSeconds: 0 }));
    expect(line().getByText('Loading the model…')).toBeTruthy();
    act(() => backend.emit('models.verifyProgress', { id: 'm', doneBytes: 43e8, totalBytes: 10e9, atLoad: true }));
    expect(line().getByText("Checking the model's files… 43%")).toBeTruthy();
    expect(line().getByRole('progressbar').getAttribute('aria-valuenow')).toBe('43');
    // Read on: the check passed and the documents are read.
    act(() => backend.emit('models.verifyProgress', { id: 'm', doneBytes: 10e9, totalBytes: 10e9, atLoad: true }));
    act(() => backend.emit('chat.progress', { conversationId, phase: 'prefill', done: 100, total: 1200, tokensPerSecond: 500, etaSeconds: 2 }));
    expect(line().getByText(/^Reading 100 of 1,200 tokens/)).toBeTruthy();
    await act(async () => answer());
    await waitFor(() => expect(screen.getByText('You asked: What changed in March?')).toBeTruthy());
  });
});
