// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation, DocumentSummary } from '../../electron/common/contract.ts';
import { fakeBackend } from './fake-backend.ts';
import { mountApp } from './mount.tsx';

const BACKUP_TIME = '2026-12-01T09:30:00.000Z';
const doc: DocumentSummary = { id: 'd1', title: 'Minutes', format: 'txt', chars: 1200, pages: 0, tokens: 300, importedAt: new Date(0).toISOString(), warnings: [] };

function damagedBackend() {
  const backend = fakeBackend({ documents: [doc] });
  backend.state.database = {
    damaged: true,
    message: "Quire's database quire.db is damaged (database disk image is malformed). Quire opened it read-only: 41 rows could be read (0 of them from the backup of 2026-12-01 09:30), and nothing new can be saved.",
    backup: '/tmp/quire/backups/quire-20261201T093000.db',
    backupTime: BACKUP_TIME,
    staged: null,
  };
  return backend;
}

const banner = () => screen.getByRole('alert', { name: /database is damaged/ });

describe('A damaged database', () => {
  it('is said across the app at start, with no way to dismiss it, and the writes that would fail are off with the reason', async () => {
    const store = await mountApp(damagedBackend());
    act(() => store.getState().setView('library'));
    expect(banner().textContent).toContain("Quire's database is damaged; it is open read-only so nothing more is lost.");
    // What SQLite found is there for whoever wants it.
    expect(within(banner()).getByText(/database disk image is malformed/)).toBeTruthy();
    expect(within(banner()).queryByRole('button', { name: /dismiss|close/i })).toBeNull();
    // The library reads, but takes nothing new and deletes nothing.
    const choose = screen.getByRole('button', { name: 'Choose files…' });
    expect((choose as HTMLButtonElement).disabled).toBe(true);
    expect(choose.getAttribute('title')).toMatch(/read-only: nothing new can be saved/);
    expect((screen.getByRole('button', { name: 'Delete Minutes' }) as HTMLButtonElement).disabled).toBe(true);
    // Nor can a question be asked (it would be stored), and the box says why.
    act(() => store.getState().setView('chat'));
    const question = screen.getByLabelText('Question') as HTMLTextAreaElement;
    expect(question.disabled).toBe(true);
    expect(question.placeholder).toMatch(/^Quire's database is damaged and open read-only/);
    // Settings are kept in the database too: they stay as they are.
    act(() => store.getState().setView('settings'));
    expect(screen.getByRole('combobox', { name: 'Context length' }).matches(':disabled')).toBe(true);
    expect(screen.getByText(/^Quire's database is damaged and open read-only/)).toBeTruthy();
    expect(within(banner()).getByRole('button', { name: 'Keep what could be read' })).toBeTruthy();
  });

  it('keeps the thread\'s writes off with the reason: regenerate, retry, edit, remove, versions, rename', async () => {
    const backend = damagedBackend();
    const at = new Date(0).toISOString();
    const message = (id: string, role: ChatMessage['role'], content: string, more: Partial<ChatMessage> = {}): ChatMessage => ({ id, role, content, quotes: [], stats: null, createdAt: at, ...more });
    const conversation: Conversation = {
      id: 'c1', title: 'Minutes', documentIds: ['d1'], modelId: 'm', createdAt: at, updatedAt: at,
      messages: [
        message('q1', 'user', 'Who chaired?', { version: { index: 2, count: 2 } }),
        message('a1', 'assistant', 'Ada chaired.'),
        message('q2', 'user', 'And the minutes?'),
        message('a2', 'assistant', 'They were', { status: 'interrupted' }),
      ],
    };
    backend.state.conversations.push(conversation);
    const store = await mountApp(backend);
    await act(() => store.getState().openConversation('c1'));
    const writes = [
      ...screen.getAllByRole('button', { name: 'Edit' }),
      screen.getByRole('button', { name: 'Regenerate' }),
      screen.getByRole('button', { name: 'Retry' }),
      ...screen.getAllByRole('button', { name: 'Remove this turn' }),
      screen.getByRole('button', { name: 'Previous version' }),
      screen.getByRole('button', { name: 'Rename' }),
    ];
    expect(writes).toHaveLength(8);
    for (const button of writes) {
      expect([button.textContent, (button as HTMLButtonElement).disabled, button.getAttribute('title')]).toEqual([button.textContent, true, expect.stringMatching(/read-only: nothing new can be saved/)]);
    }
    // Reading stays: the answer can still be copied and exported.
    expect((screen.getAllByRole('button', { name: 'Copy' })[0] as HTMLButtonElement).disabled).toBe(false);
  });

  it('restores the newest good backup, named by its time, after a confirmation, and says a restart follows', async () => {
    const backend = damagedBackend();
    await mountApp(backend);
    const time = new Date(BACKUP_TIME).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    await act(async () => fireEvent.click(within(banner()).getByRole('button', { name: `Restore the backup of ${time}` })));
    // Nothing is asked of the backend before the confirmation.
    expect(backend.state.log.some((c) => c.name === 'database.recover')).toBe(false);
    const confirm = within(banner()).getByRole('group', { name: /Replace the library with the backup/ });
    await act(async () => fireEvent.click(within(confirm).getByRole('button', { name: 'Restore' })));
    await waitFor(() => expect(within(banner()).getByRole('status').textContent).toMatch(/^Ready: the backup of .+ replaces the damaged database when Quire starts again\. Stop quire serve, start it again/));
    expect(backend.state.log.filter((c) => c.name === 'database.recover')).toEqual([{ name: 'database.recover', payload: { from: 'backup' } }]);
  });

  it('keeps what could be read when the user chooses that', async () => {
    const backend = damagedBackend();
    await mountApp(backend);
    await act(async () => fireEvent.click(within(banner()).getByRole('button', { name: 'Keep what could be read' })));
    await act(async () => fireEvent.click(within(banner()).getByRole('button', { name: 'Keep it' })));
    await waitFor(() => expect(within(banner()).getByRole('status').textContent).toMatch(/^Ready: what could be read becomes the database/));
    expect(backend.state.log.filter((c) => c.name === 'database.recover').map((c) => c.payload)).toEqual([{ from: 'salvage' }]);
  });

  it('is not shown when the database is sound', async () => {
    const store = await mountApp(fakeBackend({ documents: [doc] }));
    act(() => store.getState().setView('library'));
    expect(screen.queryByRole('alert', { name: /database is damaged/ })).toBeNull();
    expect((screen.getByRole('button', { name: 'Choose files…' }) as HTMLButtonElement).disabled).toBe(false);
  });
});
