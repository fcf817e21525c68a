// A conversation's own instructions and sampling: stored with it, read back after a restart, and a database
// from before they existed opens with its conversations unchanged (following the app's settings).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../../electron/node/chat/conversations.ts';
import { openDatabase } from '../../../electron/node/db.ts';

const style = { instructions: 'Answer in French.', temperature: 0.4, topP: 0.9, seed: 11, answerTokens: 300 };

describe('a conversation’s own instructions and sampling', () => {
  it('are stored with it, kept over a restart, and cleared back to the app’s', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'quire-style-')), 'quire.db');
    const store = new ConversationStore(openDatabase(path));
    const c = store.create(['doc-1'], 'tiny');
    expect(c.style).toBeNull();
    expect(store.setStyle(c.id, style)).toBe(true);
    expect(store.setStyle('no-such-id', style)).toBe(false);
    const reopened = new ConversationStore(openDatabase(path));
    expect(reopened.get(c.id)!.style).toEqual(style);
    expect(reopened.list()[0].style).toEqual(style);
    reopened.setStyle(c.id, null);
    expect(reopened.get(c.id)!.style).toBeNull();
  });

  it('a database from before them opens unchanged, its conversations following the app’s settings', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'quire-style-')), 'quire.db');
    // The schema as the previous version left it: no style column, five migrations run.
    const old = openDatabase(path);
    new ConversationStore(old);
    old.exec("ALTER TABLE conversations DROP COLUMN style; UPDATE schema_versions SET version = 5 WHERE component = 'conversations'");
    old.prepare("INSERT INTO conversations (id, title, document_ids, model_id, created_at, updated_at) VALUES ('old', 'Lighthouse', '[\"doc-1\"]', 'tiny', 1, 2)").run();
    old.close();
    const store = new ConversationStore(openDatabase(path));
    expect(store.get('old')).toMatchObject({ id: 'old', title: 'Lighthouse', documentIds: ['doc-1'], modelId: 'tiny', style: null, messages: [] });
    store.setStyle('old', style);
    expect(store.get('old')!.style).toEqual(style);
  });
});
