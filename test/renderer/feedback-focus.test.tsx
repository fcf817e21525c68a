// @vitest-environment jsdom
// Issue 25 point 6 (feedback and focus) and the page's side of point 7 (asking while the server is down).
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, DocumentSummary, InstalledModel } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const model: InstalledModel = { id: 'm', name: 'Model', dir: '/m', precision: 'fp16', ioDtype: 'fp16', kvDtype: 'fp16', contextTokens: 131072, kvBytesPerToken: 131072, bytes: 1, demo: false, promptStyle: 'instructions', generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const report: DocumentSummary = { id: 'doc-1', title: 'Annual report', format: 'pdf', chars: 5000, tokens: 1200, pages: 12, importedAt: new Date(0).toISOString(), warnings: [] };
const at = new Date(0).toISOString();
const question = () => screen.getByLabelText('Question');

// A gate the test opens: the fake backend holds the call until then.
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

// Types a question in the box and sends it with Enter; resolves once its answer is shown.
async function send(text: string) {
  fireEvent.change(question(), { target: { value: text } });
  await act(async () => fireEvent.keyDown(question(), { key: 'Enter' }));
  await screen.findByText(`You asked: ${text}`);
}

async function askFromLibrary(backend: ReturnType<typeof fakeBackend>) {
  const store = await mountApp(backend);
  await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Ask' })));
  await screen.findByTestId('fit');
  return store;
}

describe('focus stays in the question box', () => {
  it('after Ask in the library and after the first answer of a new conversation', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    await askFromLibrary(backend);
    expect(document.activeElement).toBe(question());
    await send('What changed?');
    await waitFor(() => expect(document.activeElement).toBe(question()));
  });

  it('Enter in the edit-question box asks again, as the main box sends; Shift+Enter is a new line', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    await askFromLibrary(backend);
    await send('First?');
    fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const edit = screen.getByLabelText('Edit question');
    fireEvent.change(edit, { target: { value: 'Second?' } });
    fireEvent.keyDown(edit, { key: 'Enter', shiftKey: true });
    expect(screen.getByLabelText('Edit question')).toBeTruthy();
    await act(async () => fireEvent.keyDown(edit, { key: 'Enter' }));
    await screen.findByText('You asked: Second?');
    expect(backend.state.log.filter((c) => c.name === 'chat.ask').at(-1)!.payload).toMatchObject({ question: 'Second?' });
  });
});

describe('feedback', () => {
  it('a PDF export says it is being written until the file is there, and takes no second click', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    await askFromLibrary(backend);
    await send('What changed?');
    const pdf = gate();
    backend.state.gates['export.conversation'] = pdf.promise;
    URL.createObjectURL ??= () => 'blob:x';
    const exportGroup = screen.getByRole('group', { name: 'Export conversation' });
    await act(async () => fireEvent.click(within(exportGroup).getByRole('button', { name: 'PDF' })));
    expect(within(exportGroup).getByRole('status').textContent).toBe('Writing the PDF file…');
    expect((within(exportGroup).getByRole('button', { name: 'PDF' }) as HTMLButtonElement).disabled).toBe(true);
    await act(async () => pdf.open());
    await waitFor(() => expect(within(exportGroup).queryByRole('status')).toBeNull());
    expect(backend.state.log.filter((c) => c.name === 'export.conversation')).toHaveLength(1);
  });

  it('files waiting their turn say "Waiting", without a progress bar', async () => {
    const backend = fakeBackend({ installed: [model] });
    const store = await mountApp(backend);
    const first = gate();
    backend.state.gates['library.import'] = first.promise;
    const file = (name: string) => new File([`text of ${name}`], name);
    let done!: Promise<void>;
    act(() => void (done = store.getState().importFiles([file('a.txt'), file('b.txt')])));
    const imports = await screen.findByRole('list', { name: 'Imports' });
    const row = (name: string) => within(imports).getByText(name).closest('li')!;
    await waitFor(() => expect(row('a.txt').className).toContain('importing'));
    expect(row('b.txt').textContent).toContain('Waiting');
    expect(within(row('b.txt')).queryByRole('progressbar')).toBeNull();
    await act(async () => {
      first.open();
      await done;
    });
  });

  it('a document that does not fit says so in words and looks different from one that does', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    backend.state.documentFit = { fits: false, reason: 'needs 401K tokens; the context is 4K' };
    await mountApp(backend);
    expect(screen.getByRole('columnheader', { name: /Fits the model/ })).toBeTruthy();
    const badge = screen.getByText(/does not fit/);
    expect(badge.textContent).toBe('✗ does not fit 4K');
    expect(badge.className).toContain('no');
    expect(badge.getAttribute('title')).toBe('Tiny demo: needs 401K tokens; the context is 4K');
  });

  it('Models says what the engine runs on once answers have loaded it, as Settings does', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    await mountApp(backend);
    backend.state.engine = { ...backend.state.engine, loaded: true, provider: 'cpu', path: 'native' };
    await act(async () => fireEvent.click(screen.getByRole('button', { name: /Models/ })));
    await waitFor(() => expect(screen.getByTestId('engine-status').textContent).toContain('CPU · native'));
  });

  it('a screen opens at its top, not at the previous screen\'s scroll position', async () => {
    await mountApp(fakeBackend({ installed: [model], documents: [report] }));
    const content = screen.getByRole('main');
    content.scrollTop = 640;
    await act(async () => fireEvent.click(screen.getByRole('button', { name: /Models/ })));
    expect(content.scrollTop).toBe(0);
  });

  it('the sample offer names no chapter number the viewer would call something else', async () => {
    await mountApp(fakeBackend({ installed: [{ ...model, demo: true }] }));
    expect(screen.getByText(/Try a sample document\./).closest('.sample-offer')!.textContent).not.toMatch(/chapter three/);
  });
});

describe('quotes', () => {
  const text = 'The keeper wrote that the lamp was replaced in March, after the storm.';
  const start = text.indexOf('the lamp');
  const answer: ChatMessage = {
    id: 'a1',
    role: 'assistant',
    content: 'It says "the lamp was replaced in March".',
    quotes: [{ quote: 'the lamp was replaced in March', verified: true, start, end: start + 30, anchor: { kind: 'page', label: '7', start: 0, end: 80 }, documentId: 'doc-1' }],
    stats: null,
    createdAt: at,
  };
  const withAnswer = () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    backend.state.texts['doc-1'] = text;
    backend.state.conversations.push({ id: 'c1', title: 'Lamp', documentIds: ['doc-1'], modelId: 'm', createdAt: at, updatedAt: at, messages: [{ id: 'q1', role: 'user', content: 'When?', quotes: [], stats: null, createdAt: at }, answer] });
    return backend;
  };

  it('clicking the quote itself opens the document at the passage', async () => {
    const store = await mountApp(withAnswer());
    await act(() => store.getState().openConversation('c1'));
    // The quote's text, not its place link.
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'p. 7' }).closest('.quote')!));
    const viewer = await screen.findByRole('dialog', { name: 'Document: Annual report' });
    expect(within(viewer).getByText('the lamp was replaced in March').tagName).toBe('MARK');
  });

  it('hovering a citation previews the passage around the quote', async () => {
    const store = await mountApp(withAnswer());
    await act(() => store.getState().openConversation('c1'));
    await act(async () => fireEvent.mouseEnter(screen.getByRole('button', { name: 'p. 7' }).closest('.quote')!));
    const preview = await screen.findByRole('tooltip');
    expect(preview.textContent).toBe('The keeper wrote that the lamp was replaced in March, after the storm.');
    expect(preview.querySelector('mark')!.textContent).toBe('the lamp was replaced in March');
    fireEvent.mouseLeave(screen.getByRole('button', { name: 'p. 7' }).closest('.quote')!);
    expect(screen.queryByRole('tooltip')).toBeNull();
  });

  it('previews a passage of a long document from the text around it alone', async () => {
    const filler = 'Filler words go here. '.repeat(50_000);
    const backend = withAnswer();
    backend.state.texts['doc-1'] = filler + text + filler;
    const [question, reply] = backend.state.conversations[0].messages;
    const quote = { ...reply.quotes[0], start: filler.length + start, end: filler.length + start + 30 };
    backend.state.conversations[0].messages = [question, { ...reply, quotes: [quote] }];
    const store = await mountApp(backend);
    await act(() => store.getState().openConversation('c1'));
    await act(async () => fireEvent.mouseEnter(screen.getByRole('button', { name: 'p. 7' }).closest('.quote')!));
    const preview = await screen.findByRole('tooltip');
    expect(preview.textContent).toMatch(/^…Filler .+ The keeper wrote that the lamp was replaced in March, after the storm\.Filler .+…$/);
    expect(preview.querySelector('mark')!.textContent).toBe('the lamp was replaced in March');
    // A 2.2 MB text is not fetched for a 400-character preview.
    expect(backend.state.log.filter((call) => call.name === 'library.get')).toEqual([]);
    expect(backend.state.log.filter((call) => call.name === 'library.text')).toEqual([{ name: 'library.text', payload: { id: 'doc-1', start: quote.start - 180, end: quote.end + 181 } }]);
  });
});

describe('the server is down', () => {
  it('asking says so in a notice, keeps the question, and raises no uncaught error', async () => {
    const backend = fakeBackend({ installed: [model], documents: [report] });
    await askFromLibrary(backend);
    const uncaught: unknown[] = [];
    const onRejection = (event: PromiseRejectionEvent) => uncaught.push(event.reason);
    window.addEventListener('unhandledrejection', onRejection);
    const nodeRejection = (reason: unknown) => uncaught.push(reason);
    process.on('unhandledRejection', nodeRejection);
    backend.state.down = true;
    fireEvent.change(question(), { target: { value: 'Still there?' } });
    await act(async () => fireEvent.keyDown(question(), { key: 'Enter' }));
    await screen.findByRole('alert');
    await new Promise((resolve) => setTimeout(resolve, 20));
    window.removeEventListener('unhandledrejection', onRejection);
    process.off('unhandledRejection', nodeRejection);
    expect(uncaught).toEqual([]);
    expect(screen.getByRole('alert').textContent).toMatch(/Quire is not running/);
    expect((question() as HTMLTextAreaElement).value).toBe('Still there?');
  });
});
