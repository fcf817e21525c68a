import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.ts';

describe('quire serve --api arguments', () => {
  it('refuses a folder that is no converted model, and flags that belong to the other mode, in one line', async () => {
    const cases: [string[], number, RegExp][] = [
      [['serve', '--api', '--model', '/nonexistent/quire-model'], 1, /^quire: NOT_FOUND: .*no quire\.json/],
      [['serve', '--model', '/tmp'], 2, /^quire: USAGE: --model goes with --api/],
      [['serve', '--api', '--open'], 2, /^quire: USAGE: --open is for the browser mode/],
      [['serve', '--api', '--port', '70000'], 2, /^quire: USAGE: --port must be at most 65535/],
    ];
    for (const [argv, code, message] of cases) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(code);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
