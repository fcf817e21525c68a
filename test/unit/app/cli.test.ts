import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { electronBinary } from '../../../electron/cli/desktop.ts';
import { COMMANDS } from '../../../electron/cli/commands.ts';
import { REPO } from '../../e2e/serve-process.ts';

const quire = (args: string[], env: Record<string, string> = {}, node = process.execPath) =>
  spawnSync(node, ['bin/quire.mjs', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

const stderrLines = (text: string) => text.split('\n').filter(Boolean);

describe('quire CLI', () => {
  it('--help lists every subcommand', () => {
    const result = quire(['--help']);
    expect(result.status).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(result.stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'));
  });

  it('refuses an unknown command with one USAGE line', () => {
    const result = quire(['frobnicate']);
    expect(result.status).toBe(2);
    expect(stderrLines(result.stderr)).toEqual(['quire: USAGE: unknown command "frobnicate" (see quire --help)']);
  });

  it('refuses bad serve flags with one USAGE line', () => {
    for (const args of [['serve', '--port', 'abc'], ['serve', '--port', '70000'], ['serve', '--bogus']]) {
      const result = quire(args);
      expect(result.status).toBe(2);
      expect(stderrLines(result.stderr)).toHaveLength(1);
      expect(result.stderr).toMatch(/^quire: USAGE: /);
    }
  });

  it.skipIf(electronBinary().binary !== null)('says in one line that Electron cannot start here and points at the browser mode', () => {
    const result = quire(['desktop'], { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect(result.status).toBe(1);
    const lines = stderrLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^quire: ELECTRON_UNAVAILABLE: .*npm run serve/);
  });

  const systemNode = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  it.skipIf(!/^v(1\d|2[01])\./.test(systemNode))('on a Node older than 22.18 it says so in one line', () => {
    const result = quire(['--help'], {}, '/usr/bin/node');
    expect(result.status).toBe(1);
    expect(stderrLines(result.stderr)).toEqual([expect.stringMatching(/^quire: NODE_VERSION: Node 2\d\.\d+\.\d+ is too old/)]);
  });
});
