// Issue 23 point 2, in the browser: a database torn on disk before `quire serve` starts is said across the app
// (read-only, nothing more lost) with the way out; the user keeps what could be read, is told a restart
// follows, and after the restart the library is back, writable, with no banner.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { databasePath } from '../../electron/node/paths.ts';
import { ARTIFACTS, shootLayouts } from './browser.ts';
import { openApp, type AppPage } from './app-page.ts';
import { RpcClient } from './rpc-client.ts';
import { startServe } from './serve-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'quire-e2e-damaged-db-'));
// No model: the database is what is under test, and the first screen is the Models screen.
const env = { QUIRE_DATA_DIR: dataDir, QUIRE_DEFAULT_MODEL: 'none' };
const NOTES = 6;
let app: AppPage | null = null;

afterAll(async () => {
  await app?.close();
});

// A torn page in the middle of the file, as a crash mid-write or a bad sector leaves it.
function tearPage(path: string): void {
  const page = 4096;
  const fd = openSync(path, 'r+');
  writeSync(fd, randomBytes(page), 0, page, page * Math.floor(statSync(path).size / page / 2));
  closeSync(fd);
}

describe('a database damaged on disk before the start', () => {
  it('is said across the app with the way out, and the salvage chosen there is the database after a restart', { timeout: 240_000 }, async () => {
    const first = await startServe(env);
    const client = await RpcClient.open(first);
    for (let i = 0; i < NOTES; i++) {
      const imported = await client.call('library.import', { name: `note-${i}.txt`, bytes: new TextEncoder().encode(`Note ${i}: ${'the tide turned. '.repeat(3000)}`) });
      expect(imported.error).toBeUndefined();
    }
    client.close();
    await first.stop();
    tearPage(databasePath(dataDir));

    app = await openApp({ env, heading: 'Models' });
    const { page } = app;
    const banner = page.getByRole('alert').filter({ hasText: "Quire's database is damaged; it is open read-only so nothing more is lost." });
    await banner.waitFor();
    await shootLayouts(page, 'database-damaged');

    // What could be read is on screen, and nothing new can be added to it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Library/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
    expect(await page.getByRole('button', { name: 'Choose files…' }).isDisabled()).toBe(true);
    const readable = await page.locator('.doc-table tbody tr').count();
    expect(readable).toBeGreaterThan(0);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Settings/ }).click();
    expect(await page.getByRole('combobox', { name: 'Context length' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'database-damaged-settings.png') });

    await banner.getByRole('button', { name: 'Keep what could be read' }).click();
    await banner.getByRole('group', { name: /Make what could be read the new database/ }).getByRole('button', { name: 'Keep it' }).click();
    await banner.getByRole('status').filter({ hasText: /^Ready: what could be read becomes the database when Quire starts again\. Stop quire serve, start it again/ }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'database-damaged-staged.png') });
    await app.close();

    app = await openApp({ env, heading: 'Models' });
    await app.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Library/ }).click();
    await app.page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
    expect(await app.page.getByRole('alert').filter({ hasText: 'database is damaged' }).count()).toBe(0);
    expect(await app.page.locator('.doc-table tbody tr').count()).toBe(readable);
    expect(await app.page.getByRole('button', { name: 'Choose files…' }).isDisabled()).toBe(false);
  });
});
