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

describe('turns and versions', () => {
  const open = () => new ConversationStore(openDatabase(join(mkdtempSync(join(tmpdir(), 'quire-conv-')), 'quire.db')));
  const contents = (store: ConversationStore, id: string) => store.get(id)!.messages.map((m) => m.content);

  it('keeps an edited question\'s old turns as a version to switch back to, later versions included', () => {
    const store = open();
    const c = store.create(['doc-1'], 'tiny');
    const [q1] = store.replaceTail(c.id, null, [turn('user', 'Q1'), turn('assistant', 'A1')]);
    const [q2] = store.replaceTail(c.id, null, [turn('user', 'Q2'), turn('assistant', 'A2')]);
    // Q2 edited: version 2 of Q2.
    store.replaceTail(c.id, q2.id, [turn('user', 'Q2 edited'), turn('assistant', 'A2 edited')]);
    expect(contents(store, c.id)).toEqual(['Q1', 'A1', 'Q2 edited', 'A2 edited']);
    expect(store.get(c.id)!.messages[2].version).toEqual({ index: 2, count: 2 });
    expect(store.get(c.id)!.messages[0].version).toBeUndefined();
    // Q1 edited: the whole old branch (with Q2's two versions) becomes Q1's version 1.
    store.replaceTail(c.id, q1.id, [turn('user', 'Q1 edited'), turn('assistant', 'A1 edited')]);
    expect(contents(store, c.id)).toEqual(['Q1 edited', 'A1 edited']);
    expect(store.get(c.id)!.messages[0].version).toEqual({ index: 2, count: 2 });
    store.switchVersion(c.id, store.get(c.id)!.messages[0].id, 1);
    expect(contents(store, c.id)).toEqual(['Q1', 'A1', 'Q2 edited', 'A2 edited']);
    expect(store.get(c.id)!.messages[0].version).toEqual({ index: 1, count: 2 });
    // The nested versions came back with their branch.
    const q2edited = store.get(c.id)!.messages[2];
    expect(q2edited.version).toEqual({ index: 2, count: 2 });
    store.switchVersion(c.id, q2edited.id, 1);
    expect(contents(store, c.id)).toEqual(['Q1', 'A1', 'Q2', 'A2']);
    // And forward again to Q1's edit.
    store.switchVersion(c.id, store.get(c.id)!.messages[0].id, 2);
    expect(contents(store, c.id)).toEqual(['Q1 edited', 'A1 edited']);
    expect(() => store.switchVersion(c.id, store.get(c.id)!.messages[0].id, 3)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('a regenerated answer replaces its turn, with no version kept', () => {
    const store = open();
    const c = store.create(['doc-1'], 'tiny');
    const [, a1] = store.replaceTail(c.id, null, [turn('user', 'Q1'), turn('assistant', 'A1')]);
    store.replaceTail(c.id, a1.id, [turn('assistant', 'A1 again')]);
    expect(contents(store, c.id)).toEqual(['Q1', 'A1 again']);
    expect(store.get(c.id)!.messages[0].version).toBeUndefined();
  });

  it('removes a question with its answer, named by either, and later turns stay in order', () => {
    const store = open();
    const c = store.create(['doc-1'], 'tiny');
    store.replaceTail(c.id, null, [turn('user', 'Q1'), turn('assistant', 'A1')]);
    const [q2, a2] = store.replaceTail(c.id, null, [turn('user', 'Q2'), turn('assistant', '')]);
    store.replaceTail(c.id, null, [turn('user', 'Q3'), turn('assistant', 'A3')]);
    store.removeTurn(c.id, a2.id);
    expect(contents(store, c.id)).toEqual(['Q1', 'A1', 'Q3', 'A3']);
    store.removeTurn(c.id, store.get(c.id)!.messages[0].id);
    expect(contents(store, c.id)).toEqual(['Q3', 'A3']);
    // Appending after a removal still goes at the end.
    store.replaceTail(c.id, null, [turn('user', 'Q4'), turn('assistant', 'A4')]);
    expect(contents(store, c.id)).toEqual(['Q3', 'A3', 'Q4', 'A4']);
    expect(() => store.removeTurn(c.id, q2.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
