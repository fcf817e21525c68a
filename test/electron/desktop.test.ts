import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { electronBinary } from '../../electron/cli/desktop.ts';
import { REPO } from '../e2e/serve-process.ts';

// Runs where Electron's binary exists (a developer machine, a CI with network); here it cannot be downloaded,
// so the suite reports itself as skipped. It packages a test build (the one fuse Playwright needs left on)
// and checks the hardened window from the inside.
const hasElectron = electronBinary().binary !== null;

describe.skipIf(!hasElectron)('desktop app (Electron)', () => {
  it('starts sandboxed, isolated, without Node, refusing navigation and new windows', { timeout: 600_000 }, async () => {
    const packaged = spawnSync(process.execPath, [join(REPO, 'node_modules/@electron-forge/cli/dist/electron-forge.js'), 'package'], {
      cwd: REPO,
      env: { ...process.env, QUIRE_E2E_BUILD: '1' },
      stdio: 'inherit',
    });
    expect(packaged.status).toBe(0);
    const executable = join(REPO, 'out', `Quire-${process.platform}-${process.arch}`, process.platform === 'win32' ? 'quire.exe' : 'quire');
    expect(existsSync(executable)).toBe(true);
    const app = await _electron.launch({ executablePath: executable, env: { ...process.env, QUIRE_DATA_DIR: mkdtempSync(join(tmpdir(), 'quire-electron-')) } });
    try {
      const page = await app.firstWindow();
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      expect(page.url()).toBe('app://quire/index.html');
      const inside = await page.evaluate(() => ({
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
        bridge: Object.keys((window as unknown as { quire: object }).quire).sort(),
      }));
      expect(inside).toEqual({ require: 'undefined', process: 'undefined', bridge: ['call', 'on'] });
      await page.evaluate(() => (window.location.href = 'https://example.com/'));
      await page.waitForTimeout(500);
      expect(page.url()).toBe('app://quire/index.html');
      await page.evaluate(() => window.open('https://huggingface.co/'));
      await page.waitForTimeout(500);
      expect(app.windows()).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
