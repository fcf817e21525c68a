import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.ts';
import { runNiah, type NiahCell } from '../../../electron/node/eval/niah.ts';
import { PNG_SIGNATURE } from '../../../electron/node/eval/png.ts';
import { tinyModel } from '../engine/tiny-model.ts';



// A random-weight model scores ~0: these tests check the plumbing, not the accuracy.
let fp32: string;
let fp16: string;
beforeAll(async () => {
  fp32 = await tinyModel({ originalContext: 256, factor: 8 }, { precision: 'fp32', kv: 'fp32' });
  fp16 = await tinyModel({ originalContext: 256, factor: 8 }, { precision: 'fp16' });
});

describe('quire eval niah', () => {
  it('--json prints exactly cells × {length, depth, accuracy, samples} and their mean; --plot writes the heatmap', async () => {
    const plot = join(mkdtempSync(join(tmpdir(), 'quire-niah-')), 'niah.png');
    const { code, stdout, stderr } = await runCli(['eval', 'niah', '--model', fp16, '--lengths', '256,512', '--depths', '0,50,100', '--samples', '2', '--kv', 'fp16', '--json', '--plot', plot]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(['cells', 'mean']);
    expect(result.cells).toHaveLength(6);
    expect(result.cells.map((c: NiahCell) => [c.length, c.depth])).toEqual([[256, 0], [256, 50], [256, 100], [512, 0], [512, 50], [512, 100]]);
    for (const c of result.cells) {
      expect(Object.keys(c)).toEqual(['length', 'depth', 'accuracy', 'samples']);
      expect(c.samples).toBe(2);
      expect(c.accuracy).toBeGreaterThanOrEqual(0);
      expect(c.accuracy).toBeLessThanOrEqual(1);
    }
    expect(result.mean).toBeCloseTo(result.cells.reduce((n: number, c: NiahCell) => n + c.accuracy, 0) / 6, 10);
    // One progress line per cell on stderr.
    expect(stderr.trim().split('\n')).toHaveLength(6);
    expect(stderr).toMatch(/^\[1\/6\] niah length 256 depth 100%: \d\/2/);
    expect(Array.from(readFileSync(plot).subarray(0, 8))).toEqual(Array.from(PNG_SIGNATURE));
  });

  it('prints a depth × length table without --json, for every task', async () => {
    for (const task of ['multikey', 'multivalue', 'vt']) {
      const { code, stdout, stderr } = await runCli(['eval', 'niah', '--model', fp32, '--lengths', '384', '--depths', '0,100', '--task', task]);
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/^depth \\ length +384\n0% +\d+%\n100% +\d+%\nmean \d+\.\d%\n$/);
      expect(stderr).toContain(`${task} length 384 depth 0%`);
    }
  });

  it('refuses a --kv the model was not converted with, in one stderr line naming what it has', async () => {
    for (const [model, kv, has] of [[fp32, 'fp16', 'fp32'], [fp16, 'int8', 'fp16'], [fp16, 'int4', 'fp16']]) {
      const { code, stdout, stderr } = await runCli(['eval', 'niah', '--model', model, '--lengths', '256', '--depths', '50', '--kv', kv]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(new RegExp(`^quire: UNSUPPORTED_MODEL: --kv ${kv}: this model's KV cache is ${has}, [^\\n]*\\n$`));
    }
  });

  it('rejects bad arguments with usage errors and lengths beyond the model', async () => {
    expect((await runCli(['eval', 'niah', '--model', fp32, '--depths', '0'])).code).toBe(2);
    expect((await runCli(['eval', 'niah', '--model', fp32, '--lengths', '256', '--depths', '0', '--task', 'sorting'])).code).toBe(2);
    expect((await runCli(['eval', 'niah', '--model', fp32, '--lengths', '256', '--depths', '0', '--kv', 'fp8'])).code).toBe(2);
    expect((await runCli(['eval', 'summary'])).code).toBe(2);
    expect(await runCli(['eval', 'niah', '--model', fp32, '--lengths', '4096', '--depths', '0'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/DOES_NOT_FIT.*2048 positions/) });
    expect(await runCli(['eval', 'niah', '--model', fp32, '--lengths', '256', '--depths', '120'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/INVALID_INPUT/) });
  });
});

describe('runNiah', () => {
  it('reports each cell as it completes and is reproducible from the seed', async () => {
    const seen: NiahCell[] = [];
    const options = { lengths: [300], depths: [0, 25, 75, 100], samples: 2, seed: 5, task: 'multikey' as const };
    const a = await runNiah(fp32, { ...options, onCell: (c) => seen.push(c) });
    const b = await runNiah(fp32, options);
    expect(seen.map((c) => c.depth).sort()).toEqual([0, 100, 25, 75]);
    expect(a.cells.map((c) => c.depth)).toEqual([0, 25, 75, 100]);
    expect(a.cells.every((c) => c.seconds > 0)).toBe(true);
    expect(b.cells.map((c) => c.accuracy)).toEqual(a.cells.map((c) => c.accuracy));
  });

  it('takes the model`s whole context as a length: the prompt leaves room for the answer', async () => {
    const result = await runNiah(fp32, { lengths: [2048], depths: [50], task: 'multivalue' });
    expect(result.cells).toMatchObject([{ length: 2048, depth: 50, samples: 1 }]);
  });
});
