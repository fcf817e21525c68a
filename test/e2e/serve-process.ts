import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '../..');
export const NODE = process.execPath;

export interface ServeProcess {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

// Starts the real `quire serve` CLI on a random port with a fresh data folder and waits for its URL line.
// `args` are passed after `serve --port 0` (e.g. --open).
export async function startServe(env: Record<string, string> = {}, args: string[] = []): Promise<ServeProcess> {
  const dataDir = env.QUIRE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'quire-e2e-'));
  const child = spawn(NODE, ['bin/quire.mjs', 'serve', '--port', '0', ...args], {
    cwd: REPO,
    env: { ...process.env, ...env, QUIRE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const match = /running at (\S+)/.exec(stdout);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`quire serve exited with ${code}: ${stderr}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: /token=([^&]+)/.exec(parsed.hash)![1],
    dataDir,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        // Exited, or killed by a signal (a test's SIGKILL): its exit has already been told.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// The server's engine: the one child of the server process that runs engine-host-process (Linux /proc).
export function enginePids(server: ServeProcess): number[] {
  const pid = server.child.pid!;
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
  return children.filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('engine-host');
    } catch {
      return false;
    }
  });
}
