// How long the `quire` command takes to start (issue 21: `quire extract` ≤ 0.5 s), beside the floor: a bare Node
// process doing nothing. Each figure is the best of --runs, with the compile cache as a user has it after the
// first run (bin/quire.mjs), and the first run of all (an empty cache) apart.
//   node_modules/.bin/node bench/cli-start.ts [--runs 7]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'quire-bench-cli-'));
const note = join(dir, 'note.txt');
writeFileSync(note, 'A short note about the lighthouse keeper.\n');
const env = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache'), NODE_COMPILE_CACHE: '' };

function seconds(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: new URL('..', import.meta.url), env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args.join(' ')}: ${result.stderr}`);
  return (performance.now() - started) / 1000;
}
const best = (args: string[]) => Math.min(...Array.from({ length: runs }, () => seconds(args)));

try {
  const firstExtract = seconds(['bin/quire.mjs', 'extract', note]);
  const rows: [string, number, string][] = [
    ['node -e 0 (the floor: one process)', best(['-e', '0']), ''],
    ['quire --help', best(['bin/quire.mjs', '--help']), ''],
    ['quire extract note.txt, first run (empty compile cache)', firstExtract, ''],
    ['quire extract note.txt (two processes: the command and its parser)', best(['bin/quire.mjs', 'extract', note]), '≤ 0.5 s'],
  ];
  console.log(`| command | seconds (best of ${runs}) | goal |\n|---|---|---|`);
  for (const [what, s, goal] of rows) console.log(`| ${what} | ${s.toFixed(3)} | ${goal} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
