import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { QuireError } from '../common/errors.ts';
import type { Command } from './command.ts';

const require = createRequire(import.meta.url);
// Seconds Electron's own installer may take to fetch its binary before we give up and suggest the browser mode.
const DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

// Where Electron's binary lives, without require('electron'): since Electron 42 that call downloads the
// binary as a side effect, which must never happen behind the user's back (or in a test).
export function electronBinary(): { packageDir: string; binary: string | null } {
  const packageDir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return { packageDir, binary: null };
  const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return { packageDir, binary: existsSync(binary) ? binary : null };
}

export const desktop: Command = {
  summary: 'launch the desktop app (Electron)',
  usage: 'quire desktop',
  async run(_argv, io) {
    let { packageDir, binary } = electronBinary();
    if (!binary && !process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
      io.stderr('quire: fetching the Electron runtime (once)…\n');
      spawnSync(process.execPath, [join(packageDir, 'install.js')], { stdio: 'ignore', timeout: DOWNLOAD_TIMEOUT_MS });
      binary = electronBinary().binary;
    }
    if (!binary) {
      throw new QuireError('ELECTRON_UNAVAILABLE', "Electron's binary is not installed and could not be downloaded here; run `npm run serve` for the browser mode");
    }
    const forge = join(dirname(require.resolve('@electron-forge/cli/package.json')), 'dist', 'electron-forge.js');
    const child = spawn(process.execPath, [forge, 'start'], { stdio: 'inherit' });
    return new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  },
};
