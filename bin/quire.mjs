#!/usr/bin/env node
// Quire's CLI entry. The sources are TypeScript run by Node's own type stripping, so a Node of your own runs
// them from MINIMUM_NODE on; through npm (npm start, npx quire) they always run on the Node 24 of the `node`
// devDependency, whatever Node runs npm. This is the one place the minimum is stated.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
// A namespace import: a Node too old to have the compile cache must still reach the version check below.
import * as nodeModule from 'node:module';
import { constants, homedir } from 'node:os';
import { join } from 'node:path';

const MINIMUM_NODE = [22, 18];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < MINIMUM_NODE[0] || (major === MINIMUM_NODE[0] && minor < MINIMUM_NODE[1])) {
  process.stderr.write(`quire: NODE_VERSION: Node ${process.versions.node} is too old; run through npm (npx quire …) or install Node >= ${MINIMUM_NODE.join('.')}\n`);
  process.exit(1);
}

// onnxruntime reads /proc/self/cmdline when it starts (Linux) and matches it with a recursive std::regex whose
// depth grows with its length: ~35 KB of arguments (`--ids` with 8,000 numbers) overflow the main thread's
// stack and the process dies of SIGSEGV, whatever the engine path. A long command line is therefore handed,
// on a pipe, to a child of this same script whose own command line is short; the parent only relays the exit.
const LONG_COMMAND_LINE_BYTES = 8 * 1024;
const ARGS_FD_ENV = 'QUIRE_ARGS_FD';
const ARGS_FD = 3;

let args = process.argv.slice(2);
if (process.env[ARGS_FD_ENV] === String(ARGS_FD)) {
  // Not inherited by the engine's own processes.
  delete process.env[ARGS_FD_ENV];
  args = JSON.parse(readFileSync(ARGS_FD, 'utf8'));
} else if (process.platform === 'linux' && args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) > LONG_COMMAND_LINE_BYTES) {
  const child = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [ARGS_FD_ENV]: String(ARGS_FD) },
  });
  child.stdio[ARGS_FD].end(JSON.stringify(args));
  // Ctrl-C reaches the child too (same process group) and it decides what a stop means; a TERM sent to
  // this parent alone is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  process.exit(code ?? 128 + (constants.signals[signal] ?? 1));
}

// Stripping the types of every module again is most of a fresh process's start (≈ 0.3 s each for this process and
// each parser or engine process it starts; `quire extract` starts two). Node's compile cache keeps the stripped,
// compiled modules, checked against their source, in the user's own cache folder (never a shared /tmp, where
// another user could plant code), and the child processes read it through NODE_COMPILE_CACHE.
if (!process.env.NODE_COMPILE_CACHE) {
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'quire', 'compile-cache');
  const status = nodeModule.enableCompileCache?.(cache).status;
  const { ENABLED, ALREADY_ENABLED } = nodeModule.constants?.compileCacheStatus ?? {};
  if (status !== undefined && (status === ENABLED || status === ALREADY_ENABLED)) process.env.NODE_COMPILE_CACHE = cache;
}

const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(args);
