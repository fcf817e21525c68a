import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The Node version Quire's sources need is one fact, package.json's `engines`; the launcher reads it from there.
const REPO = join(import.meta.dirname, '../../..');
const engines = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).engines.node as string;

// Runs the launcher on this Node, told that it is `version`.
const launch = (version: string) =>
  spawnSync(process.execPath, ['--import', `data:text/javascript,Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } })`, 'bin/quire.mjs', '--help'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('the minimum Node version', () => {
  const [major, minor] = /^>=(\d+)\.(\d+)$/.exec(engines)!.slice(1).map(Number);

  it('is refused one minor below package.json engines, in one line naming that version', () => {
    const result = launch(`${major}.${minor - 1}.0`);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`quire: NODE_VERSION: Node ${major}.${minor - 1}.0 is too old; run through npm (npx quire …) or install Node ${engines}\n`);
  });

  it('is accepted at package.json engines', () => {
    expect(launch(`${major}.${minor}.0`).status).toBe(0);
  });
});
