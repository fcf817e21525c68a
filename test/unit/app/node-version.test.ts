import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The Node version Quire's sources need is stated once, in bin/quire.mjs (MINIMUM_NODE): npm's own `engines`
// would be checked against the Node that runs npm, not the Node 24 that npm scripts run Quire on, and would
// warn on every `npx quire` from an older system Node.
const REPO = join(import.meta.dirname, '../../..');

// Runs the launcher on this Node, told that it is `version`.
const launch = (version: string) =>
  spawnSync(process.execPath, ['--import', `data:text/javascript,Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } })`, 'bin/quire.mjs', '--help'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('the minimum Node version', () => {
  it('is refused one minor below 22.18, in one line naming the minimum', () => {
    const result = launch('22.17.0');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('quire: NODE_VERSION: Node 22.17.0 is too old; run through npm (npx quire …) or install Node >= 22.18\n');
  });

  it('is accepted from 22.18', () => {
    expect(launch('22.18.0').status).toBe(0);
  });

  // npx installs the checkout as a package, which runs its prepare script (native/prepare.mjs): an addon that is up
  // to date is left alone, not rebuilt (deleted first) under an app or a test that is using it.
  it('npx quire starts without an npm warning (no unknown .npmrc key, no engines check against the Node running npm) and rebuilds no up-to-date addon', () => {
    const addon = join(REPO, 'native/build/Release/quire_ort.node');
    const fresh = spawnSync(process.execPath, ['native/prepare.mjs', '--check'], { cwd: REPO }).status === 0;
    const built = fresh ? statSync(addon).mtimeMs : 0;
    const result = spawnSync('npx', ['quire', '--help'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('npm warn'))).toEqual([]);
    if (fresh) expect(statSync(addon).mtimeMs).toBe(built);
  });

  it('is stated nowhere else in package.json', () => {
    expect(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).engines).toBeUndefined();
  });
});
