// The damaged database as the app's screens see it, through the router: the status in words with the way out,
// writes refused, and the chosen recovery staged for the next start.
import { closeSync, mkdtempSync, openSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppServices } from '../../../electron/node/app-services.ts';
import { databasePath } from '../../../electron/node/paths.ts';
import { callRouter } from '../router-call.ts';

describe('database.status and database.recover', () => {
  it('say a sound database is sound, and a torn one is read-only with the way out, staging the chosen recovery', { timeout: 180_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-db-router-'));
    let services = createAppServices({ mode: 'cli', root });
    expect(await callRouter(services, 'database.status', {})).toEqual({ damaged: false, message: null, backup: null, backupTime: null, staged: null });
    await expect(callRouter(services, 'database.recover', { from: 'salvage' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    for (let i = 0; i < 6; i++) await callRouter(services, 'library.import', { name: `note-${i}.txt`, bytes: new TextEncoder().encode(`Note ${i}: ${'the tide turned. '.repeat(3000)}`) });
    await services.close();

    // A torn page in the middle of the file.
    const path = databasePath(root);
    const page = 4096;
    const fd = openSync(path, 'r+');
    writeSync(fd, randomBytes(page), 0, page, page * Math.floor(statSync(path).size / page / 2));
    closeSync(fd);

    services = createAppServices({ mode: 'cli', root });
    const status = await callRouter(services, 'database.status', {});
    expect(status.damaged).toBe(true);
    // The banner names the backup's time, which the browser cannot read from a path.
    if (status.backup) expect(status.backupTime).toBe(statSync(status.backup).mtime.toISOString());
    else expect(status.backupTime).toBeNull();
    expect(status.message).toMatch(/^[^\n]+ is damaged \([^\n]+\)\. Quire opened it read-only: \d+ rows could be read[^\n]*quire db salvage[^\n]*$/);
    await expect(callRouter(services, 'library.import', { name: 'new.txt', bytes: new TextEncoder().encode('new') })).rejects.toMatchObject({ code: 'DATABASE_DAMAGED' });
    expect(await callRouter(services, 'database.recover', { from: 'salvage' })).toMatchObject({ damaged: true, staged: 'salvage' });
    await services.close();
  });
});
