import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { QuireError } from '../common/errors.ts';

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

// `parent/name` for a name that came from outside (a client, a file), checked to resolve strictly inside
// `parent`: whatever validated the name before, no path built from input may leave its folder.
export function childPath(parent: string, name: string): string {
  const base = resolve(parent);
  const child = resolve(base, name);
  const rel = relative(base, child);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || name.includes('\0')) {
    throw new QuireError('FORBIDDEN', `${JSON.stringify(name.slice(0, 64))} does not name an entry inside ${base}`);
  }
  return child;
}

// The data folder holds the user's documents, conversations and the KV caches of their text: only the user
// may enter it. Called first by each process that owns it (serve, desktop, ask). It sets the process umask
// to 077, so everything this process and the engine process it starts create (database and WAL, snapshots,
// kept originals, converted models) is 0600/0700 without each writer having to remember; and it tightens a
// folder an older version left 0755, when that folder is Quire's own (empty or holding quire.db) rather
// than some shared folder QUIRE_DATA_DIR was pointed at.
export function claimDataDir(root: string): void {
  if (process.platform === 'win32') {
    // NTFS folders under the profile are private by their ACLs already; modes mean nothing there.
    mkdirSync(root, { recursive: true });
    return;
  }
  process.umask(0o077);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const ours = existsSync(databasePath(root)) || readdirSync(root).length === 0;
  if (ours && (statSync(root).mode & 0o077) !== 0) chmodSync(root, 0o700);
}
