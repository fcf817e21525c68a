import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../../electron/node/chat/conversations.ts';
import { openDatabase } from '../../../electron/node/db.ts';

const turn = (role: 'user' | 'assistant', content: string) => ({ role, content, quotes: [], stats: null });

describe('conversation titles', () => {
  it('come from the first question until the user names the conversation, and then stay', () => {
    const store = new ConversationStore(openDatabase(join(mkdtempSync(join(tmpdir(), 'quire-conv-')), 'quire.db')));
    const c = store.create(['doc-1'], 'tiny');
    const [q] = store.replaceTail(c.id, null, [turn('user', 'What is the passkey of the river?'), turn('assistant', '12345')]);
    expect(store.get(c.id)!.title).toBe('What is the passkey of the river?');
    // Editing the first question re-titles an unnamed conversation...
    store.replaceTail(c.id, q.id, [turn('user', 'Who keeps the lighthouse?'), turn('assistant', 'Ada')]);
    expect(store.get(c.id)!.title).toBe('Who keeps the lighthouse?');
    // ...but not one the user named.
    expect(store.rename(c.id, 'Lighthouse notes')).toBe(true);
    const first = store.get(c.id)!.messages[0];
    store.replaceTail(c.id, first.id, [turn('user', 'And the harbour?'), turn('assistant', 'Ben')]);
    expect(store.get(c.id)!.title).toBe('Lighthouse notes');
    expect(store.rename('no-such-id', 'x')).toBe(false);
  });
});
