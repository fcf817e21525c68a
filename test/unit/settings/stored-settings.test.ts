// Settings an earlier version stored still open as the user left them: a field added since gets its default
// without resetting the rest of its group (an API switched on stays on when its answer cap is new).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_MAX_ANSWER_TOKENS } from '../../../electron/common/contract.ts';
import { openDatabase } from '../../../electron/node/db.ts';
import { SettingsStore } from '../../../electron/node/settings.ts';

describe('stored settings', () => {
  it("keep an earlier version's API switch and port, with the default answer cap", () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'quire-settings-')), 'quire.db'));
    const store = new SettingsStore(db);
    db.prepare('INSERT INTO settings (id, json) VALUES (1, ?)').run(JSON.stringify({ theme: 'dark', apiServer: { enabled: true, port: 8511 } }));
    expect(store.get()).toMatchObject({ theme: 'dark', apiServer: { enabled: true, port: 8511, maxTokens: API_MAX_ANSWER_TOKENS } });
    expect(store.update({ apiServer: { enabled: true, port: 8511, maxTokens: 300 } }).apiServer.maxTokens).toBe(300);
    expect(store.get().apiServer).toEqual({ enabled: true, port: 8511, maxTokens: 300 });
    db.close();
  });
});
