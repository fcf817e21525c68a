// Starts the real `quire serve --api` CLI as a child process and parses its one stdout line.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_EOS_IDS } from '../../../models/tokenizer/tiny.ts';
import { tinyModel } from '../engine/tiny-model.ts';

const REPO = join(import.meta.dirname, '../../..');

export const API_LINE = /^quire api: (http:\/\/127\.0\.0\.1:(\d+)\/v1) key: (\S+)$/m;

export interface ApiProcess {
  baseUrl: string;
  port: number;
  key: string;
  dataDir: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  stop(): Promise<void>;
}

// A random-weight model whose end-of-turn tokens never win, so every answer runs to max_tokens; 16K context
// (2K trained × YaRN 8) for prompts long enough to snapshot and to cancel mid-prefill.
export function apiTinyModel(): Promise<string> {
  return tinyModel({ originalContext: 2048, factor: 8, layers: 2, hiddenSize: 128, intermediateSize: 256, heads: 4, kvHeads: 2, seed: 11, mutedTokens: [...TINY_EOS_IDS] });
}

// `env`: more of the server's environment (QUIRE_TEST_STEP_DELAY_MS, which its engine inherits).
export async function startApi(modelDir: string, dataDir = mkdtempSync(join(tmpdir(), 'quire-api-')), args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ApiProcess> {
  const child = spawn(process.execPath, ['bin/quire.mjs', 'serve', '--api', '--model', modelDir, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env, QUIRE_DATA_DIR: dataDir, QUIRE_PROVIDER: 'cpu' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const m = API_LINE.exec(stdout);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`quire serve --api exited with ${code}: ${stderr}`)));
  });
  return {
    baseUrl: match[1],
    port: Number(match[2]),
    key: match[3],
    dataDir,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// A port nobody listens on now (the in-app API is given one by Settings rather than choosing its own).
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
