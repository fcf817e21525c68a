import { homedir } from 'node:os';
import { join } from 'node:path';

// One data folder shared by the desktop app, `quire serve` and the CLI, so a document prefilled in one is
// restored in the others. QUIRE_DATA_DIR overrides it (tests, portable installs).
export function dataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.QUIRE_DATA_DIR) return env.QUIRE_DATA_DIR;
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'Quire');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Quire');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'quire');
}

export function modelsDir(root = dataDir()): string {
  return join(root, 'models');
}

export function snapshotsDir(root = dataDir()): string {
  return join(root, 'snapshots');
}

export function databasePath(root = dataDir()): string {
  return join(root, 'quire.db');
}
