// Settings → Saved document caches through the router: the user's limit is the store's budget at once (a
// lower one trims the least recently used), the usage is what the disk holds, and they can all be deleted.
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { snapshotsDir } from '../../../electron/node/paths.ts';
import { SNAPSHOT_EXTENSION } from '../../../electron/node/engine/kv-snapshot.ts';
import { callRouter } from '../router-call.ts';

let services: AppServices | null = null;
afterAll(async () => {
  await services?.close();
});

describe('saved document caches', () => {
  it('follow the limit set in Settings, report their usage, and are deleted on request', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-saved-caches-'));
    const folder = join(snapshotsDir(root), 'model');
    mkdirSync(folder, { recursive: true });
    // Three saved caches, the oldest used first.
    const files = ['old', 'mid', 'new'].map((name, i) => {
      const path = join(folder, `${name}${SNAPSHOT_EXTENSION}`);
      writeFileSync(path, Buffer.alloc(1_000_000));
      utimesSync(path, 1_000 + i, 1_000 + i);
      return path;
    });
    services = createAppServices({ mode: 'cli', root });
    const usage = await callRouter(services, 'settings.savedCaches', {});
    expect(usage).toMatchObject({ usedBytes: 3_000_000, files: 3 });
    expect(usage.diskFreeBytes).toBeGreaterThan(0);
    expect(usage.roomBytes).toBeLessThanOrEqual(64e9);

    await callRouter(services, 'settings.update', { savedCacheBytes: 2_500_000 });
    // The store's budget is the setting, and the lower limit applied at once: the least recently used went.
    expect(services.runtime.store.budgetBytes).toBe(2_500_000);
    expect(readdirSync(folder).sort()).toEqual([files[1], files[2]].map((f) => f.split('/').pop()).sort());
    expect(await callRouter(services, 'settings.savedCaches', {})).toMatchObject({ usedBytes: 2_000_000, files: 2, roomBytes: 2_500_000 });

    expect(await callRouter(services, 'settings.clearSavedCaches', {})).toEqual({ deleted: 2 });
    expect(await callRouter(services, 'settings.savedCaches', {})).toMatchObject({ usedBytes: 0, files: 0 });
    // A negative or fractional limit is refused in a line.
    await expect(callRouter(services, 'settings.update', { savedCacheBytes: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
