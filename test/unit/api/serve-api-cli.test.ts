import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.ts';

describe('quire serve --api arguments', () => {
  it('refuses a folder that is no converted model, and flags that belong to the other mode, in one line', async () => {
    const cases: [string[], number, RegExp][] = [
      [['serve', '--api', '--model', '/nonexistent/quire-model'], 1, /^quire: NOT_FOUND: .*no quire\.json/],
      [['serve', '--model', '/tmp'], 2, /^quire: USAGE: --model goes with --api/],
      [['serve', '--api', '--open'], 2, /^quire: USAGE: --open is for the browser mode/],
      [['serve', '--api', '--port', '70000'], 2, /^quire: USAGE: --port must be at most 65535/],
      [['serve', '--api', '--max-tokens', '0'], 2, /^quire: USAGE: --max-tokens wants an integer >= 1/],
      [['serve', '--max-tokens', '100'], 2, /^quire: USAGE: --max-tokens goes with --api/],
    ];
    for (const [argv, code, message] of cases) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(code);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refuses to start with no model to serve', async () => {
    const data = mkdtempSync(join(tmpdir(), 'quire-api-none-'));
    const before = { data: process.env.QUIRE_DATA_DIR, demo: process.env.QUIRE_DEFAULT_MODEL };
    process.env.QUIRE_DATA_DIR = data;
    process.env.QUIRE_DEFAULT_MODEL = 'none';
    try {
      const run = await runCli(['serve', '--api']);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^quire: NOT_FOUND: no model is installed/);
    } finally {
      restore('QUIRE_DATA_DIR', before.data);
      restore('QUIRE_DEFAULT_MODEL', before.demo);
    }
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
