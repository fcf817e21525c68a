// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { QuireError } from '../../electron/common/errors.ts';
import { ERROR_NOTICE_MS } from '../../renderer/src/store/app-slice.ts';
import type { CatalogEntry, DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';
import { createClient } from '../../renderer/src/api/client.ts';
import { createAppStore } from '../../renderer/src/store/app-store.ts';


const catalogEntry: CatalogEntry = {
  id: 'ultralong-1m',
  name: 'UltraLong 8B 1M',
  hfRepo: 'nvidia/Llama-3.1-Nemotron-8B-UltraLong-1M-Instruct',
  licence: 'cc-by-nc-4.0',
  licenceUrl: 'https://creativecommons.org/licenses/by-nc/4.0/',
  parameters: '8B',
  downloadBytes: 32_000_000_000,
  nativeContext: 1_048_576,
  description: 'Llama-3.1-8B extended to 1M tokens with YaRN.',
};
const model: InstalledModel = { id: 'tiny', name: 'Tiny demo', dir: '/m/tiny', precision: 'fp32', ioDtype: 'fp32', kvDtype: 'fp32', contextTokens: 4096, kvBytesPerToken: 2048, bytes: 1_000_000, demo: true, promptStyle: 'bare', generation: { greedy: true, temperature: 1, topP: 1 } };
const doc = (id: string, title: string): DocumentSummary => ({ id, title, format: 'pdf', chars: 1200, tokens: 300, pages: 3, importedAt: new Date(0).toISOString(), warnings: [] });



describe('app shell', () => {
  it('opens the model catalog when no model is installed', async () => {
    await mountApp(fakeBackend({ catalog: [catalogEntry] }));
    expect(screen.getByRole('heading', { level: 1, name: 'Models' })).toBeTruthy();
    expect(screen.getByTestId('no-models')).toBeTruthy();
    const card = within(screen.getByRole('list', { name: 'Model catalog' })).getByText('UltraLong 8B 1M').closest('li')!;
    expect(within(card).getByText('1M context')).toBeTruthy();
    expect(within(card).getByRole('link').getAttribute('rel')).toContain('noopener');
  });

  it('opens the library when a model is installed, and marks demo models', async () => {
    const backend = fakeBackend({ installed: [model], documents: [doc('a', 'Moby Dick'), doc('b', 'Deposition of J. Smith')] });
    await mountApp(backend);
    expect(screen.getByRole('heading', { level: 1, name: 'Library' })).toBeTruthy();
    expect(screen.getAllByRole('row')).toHaveLength(3);
    fireEvent.change(screen.getByLabelText('Filter documents by title'), { target: { value: 'moby' } });
    expect(screen.getAllByRole('row')).toHaveLength(2);
    expect(screen.getByRole('note').textContent).toMatch(/tiny demonstration model.*meaningless text about real ones/);
    fireEvent.click(screen.getByRole('button', { name: /Models/ }));
    expect(screen.getByText('Demo model').getAttribute('title')).toMatch(/meaningless text/);
  });

  it('imports dropped files through the client and deletes documents', async () => {
    const backend = fakeBackend({ installed: [model] });
    await mountApp(backend);
    const file = new File([new TextEncoder().encode('Call me Ishmael.')], 'moby.txt', { type: 'text/plain' });
    await act(async () => {
      fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files: [file] } });
    });
    await waitFor(() => expect(screen.getByText('moby')).toBeTruthy());
    const imported = backend.state.log.find((c) => c.name === 'library.import')!.payload as { name: string; bytes: Uint8Array };
    expect(imported.name).toBe('moby.txt');
    expect(new TextDecoder().decode(imported.bytes)).toBe('Call me Ishmael.');
    // A stray click asks first; Cancel (or Escape) keeps the document.
    fireEvent.click(screen.getByRole('button', { name: 'Delete moby' }));
    const ask = screen.getByRole('group', { name: /Delete “moby” and its saved cache\?/ });
    expect(document.activeElement?.textContent).toBe('Cancel');
    fireEvent.click(within(ask).getByRole('button', { name: 'Cancel' }));
    expect(backend.state.documents).toHaveLength(1);
    fireEvent.click(screen.getByRole('button', { name: 'Delete moby' }));
    fireEvent.keyDown(screen.getByRole('group', { name: /Delete “moby”/ }), { key: 'Escape' });
    expect(screen.queryByRole('group', { name: /Delete “moby”/ })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Delete moby' }));
    await act(async () => fireEvent.click(within(screen.getByRole('group', { name: /Delete “moby”/ })).getByRole('button', { name: 'Delete' })));
    await waitFor(() => expect(screen.queryByText('moby')).toBeNull());
    expect(backend.state.documents).toHaveLength(0);
  });

  it('says when a file is already in the library, and lets a failed import be dismissed', async () => {
    const backend = fakeBackend({ installed: [model] });
    await mountApp(backend);
    const moby = () => new File([new TextEncoder().encode('Call me Ishmael.')], 'moby.txt', { type: 'text/plain' });
    await act(async () => fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files: [moby()] } }));
    await waitFor(() => expect(screen.getByText('moby')).toBeTruthy());
    await act(async () => fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files: [moby()] } }));
    await waitFor(() => expect(screen.getByRole('status', { name: '' }).textContent).toMatch(/moby\.txt is already in the library as “moby”/));
    expect(backend.state.documents).toHaveLength(1);
    // A refused file leaves a row saying why, until dismissed.
    backend.state.refuseImports = 'UNSUPPORTED_FORMAT: binary data, not text: Quire reads PDF, EPUB, DOCX, TXT, Markdown, HTML, SRT and WebVTT';
    const jpeg = new File([new Uint8Array([0xff, 0xd8, 0xff])], 'photo.jpg', { type: 'image/jpeg' });
    await act(async () => fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files: [jpeg] } }));
    await waitFor(() => expect(screen.getByText(/Quire reads PDF, EPUB/)).toBeTruthy());
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss photo.jpg' }));
    expect(screen.queryByText(/Quire reads PDF, EPUB/)).toBeNull();
  });

  it('keeps a conversation whose document was deleted readable but not continuable', async () => {
    const backend = fakeBackend({ installed: [model], documents: [doc('a', 'Moby Dick')] });
    const at = new Date(0).toISOString();
    const stats = { promptTokens: 10, prefilledTokens: 10, generatedTokens: 3, documentSource: 'prefill' as const, secondsToFirstToken: 0.1, tokensPerSecond: 30, stopped: false };
    backend.state.conversations.push({
      id: 'c1', title: 'Whales', documentIds: ['a'], modelId: 'tiny', createdAt: at, updatedAt: at,
      messages: [
        { id: 'q1', role: 'user', content: 'Who is Ishmael?', quotes: [], stats: null, createdAt: at },
        { id: 'a1', role: 'assistant', content: 'The narrator.', quotes: [], stats, createdAt: at },
      ],
    });
    backend.state.documents = [];
    const store = await mountApp(backend);
    await act(() => store.getState().openConversation('c1'));
    store.getState().setView('chat');
    await waitFor(() => expect(screen.getByRole('status', { name: '' }).textContent).toMatch(/A document was deleted/));
    expect(screen.queryByTestId('documents-ready')).toBeNull();
    expect((screen.getByRole('button', { name: 'Regenerate' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Edit' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByLabelText('Question').getAttribute('placeholder')).toBe('A document of this conversation was deleted.');
  });

  it('finds in the open document and steps through the matches', async () => {
    const backend = fakeBackend({ installed: [model], documents: [doc('a', 'Moby Dick')] });
    backend.state.texts.a = 'Call me Ishmael. The whale was white. No whale was ever so pale. WHALE!';
    const store = await mountApp(backend);
    await act(() => store.getState().openViewer('a'));
    fireEvent.change(screen.getByLabelText('Find in document'), { target: { value: 'whale' } });
    expect(screen.getByTestId('find-count').textContent).toBe('1 of 3');
    expect(screen.getByTestId('viewer-text').querySelector('mark')!.textContent).toBe('whale');
    fireEvent.click(screen.getByRole('button', { name: 'Next match' }));
    fireEvent.click(screen.getByRole('button', { name: 'Next match' }));
    expect(screen.getByTestId('find-count').textContent).toBe('3 of 3');
    expect(screen.getByTestId('viewer-text').querySelector('mark')!.textContent).toBe('WHALE');
    fireEvent.change(screen.getByLabelText('Find in document'), { target: { value: 'narwhal' } });
    expect(screen.getByTestId('find-count').textContent).toBe('no match');
  });

  it('keeps a question being typed while the user looks at another screen', async () => {
    const backend = fakeBackend({ installed: [model], documents: [doc('a', 'Moby Dick')] });
    const store = await mountApp(backend);
    act(() => store.getState().newConversation(['a']));
    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'Who is Ishmael?' } });
    fireEvent.keyDown(window, { key: '1', ctrlKey: true });
    expect(screen.getByRole('heading', { level: 1, name: 'Library' })).toBeTruthy();
    fireEvent.keyDown(window, { key: '2', ctrlKey: true });
    expect((screen.getByLabelText('Question') as HTMLTextAreaElement).value).toBe('Who is Ishmael?');
  });

  it('gives a question stopped before its answer began back to the box, without an error', async () => {
    const backend = fakeBackend({ installed: [model], documents: [doc('a', 'Moby Dick')] });
    backend.state.stopBeforeAnswer = true;
    const store = await mountApp(backend);
    act(() => store.getState().newConversation(['a']));
    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'Who is Ishmael?' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Ask' })));
    await waitFor(() => expect(store.getState().streaming).toBeNull());
    expect((screen.getByLabelText('Question') as HTMLTextAreaElement).value).toBe('Who is Ishmael?');
    expect(screen.queryByRole('alert')).toBeNull();
    // Anything else that fails is said.
    backend.state.stopBeforeAnswer = false;
    backend.state.answer = () => {
      throw new QuireError('REMOTE_UNREACHABLE', 'gpu-box:8000 cannot be reached');
    };
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Ask' })));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('gpu-box:8000 cannot be reached'));
  });

  it('lists conversations with their documents, finds them, and renames one in place', async () => {
    const backend = fakeBackend({ installed: [model], documents: [doc('a', 'Moby Dick'), doc('b', 'Deposition of J. Smith')] });
    const at = new Date(0).toISOString();
    for (const [id, title, docId] of [['c1', 'Whales', 'a'], ['c2', 'Timeline', 'b'], ['c3', 'Witnesses', 'b'], ['c4', 'Harpoons', 'a']]) {
      backend.state.conversations.push({ id, title, documentIds: [docId], modelId: 'tiny', createdAt: at, updatedAt: at, messages: [] });
    }
    const store = await mountApp(backend);
    act(() => store.getState().setView('chat'));
    const list = screen.getByRole('complementary', { name: 'Conversations' });
    expect(within(list).getAllByText(/Deposition of J\. Smith/)).toHaveLength(2);
    fireEvent.change(screen.getByLabelText('Find a conversation'), { target: { value: 'smith' } });
    expect(within(list).getAllByRole('listitem').map((li) => li.querySelector('.conversation-title')!.textContent)).toEqual(['Timeline', 'Witnesses']);
    expect(within(list).queryByText('Whales')).toBeNull();
    await act(() => store.getState().openConversation('c2'));
    fireEvent.click(screen.getByRole('button', { name: 'Rename' }));
    fireEvent.change(screen.getByLabelText('Conversation title'), { target: { value: 'Smith timeline' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Smith timeline');
    expect(backend.state.conversations.find((c) => c.id === 'c2')!.title).toBe('Smith timeline');
  });

  it('keeps a screen the user opened while the app was still loading', async () => {
    const store = createAppStore(createClient(fakeBackend({ installed: [model] }).transport));
    const loading = store.getState().init();
    store.getState().setView('chat');
    await loading;
    expect(store.getState()).toMatchObject({ ready: true, view: 'chat' });
  });

  it('keeps the Library when the user opens it while the app loads with no model (the screen it started on)', async () => {
    const store = createAppStore(createClient(fakeBackend({ catalog: [catalogEntry] }).transport));
    const loading = store.getState().init();
    store.getState().setView('library');
    await loading;
    expect(store.getState()).toMatchObject({ ready: true, view: 'library' });
  });

  it('lets notices expire on their own', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const store = await mountApp(fakeBackend({ installed: [model] }));
      act(() => store.getState().notify('error', 'Something went wrong.'));
      // The same news again (several calls refused for one reason) is not stacked.
      act(() => store.getState().notify('error', 'Something went wrong.'));
      expect(screen.getByRole('alert').textContent).toContain('Something went wrong.');
      act(() => vi.advanceTimersByTime(ERROR_NOTICE_MS + 1));
      expect(screen.queryByText('Something went wrong.')).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('persists settings through the client and applies the theme', async () => {
    const backend = fakeBackend({ installed: [model] });
    await mountApp(backend);
    fireEvent.keyDown(window, { key: '4', ctrlKey: true });
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
    await act(async () => fireEvent.click(screen.getByRole('radio', { name: 'Dark' })));
    expect(backend.state.settings.theme).toBe('dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    await act(async () => fireEvent.click(screen.getByLabelText(/INT8/)));
    expect(backend.state.settings.kvDtype).toBe('int8');
    await act(async () => fireEvent.change(screen.getByLabelText('Context length'), { target: { value: '1048576' } }));
    expect(backend.state.settings.contextTokens).toBe(1_048_576);
  });

  it('explains why the chat cannot start yet', async () => {
    await mountApp(fakeBackend({ catalog: [catalogEntry] }));
    fireEvent.keyDown(window, { key: '2', ctrlKey: true });
    const question = screen.getByLabelText('Question') as HTMLTextAreaElement;
    expect(question.disabled).toBe(true);
    expect(question.placeholder).toBe('Install a model to start asking.');
  });
});
