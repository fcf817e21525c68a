import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../../electron/common/format.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';
import { runCli } from '../run-cli.ts';

const root = mkdtempSync(join(tmpdir(), 'quire-export-cli-'));
const int4 = join(root, 'int4');
const fp32 = join(root, 'fp32');
beforeAll(async () => {
  const hf = join(root, 'hf');
  await writeTinyCheckpoint(hf, { hiddenSize: 128, heads: 2, kvHeads: 1, layers: 1, intermediateSize: 256 });
  await convertCheckpoint(hf, int4, { precision: 'int4' });
  await convertCheckpoint(hf, fp32, { precision: 'fp32' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ONE_LINE = /^quire: [A-Z_]+: [^\n]+\n$/;

describe('quire export gguf', () => {
  it('prints one line with the file and its size; the type defaults to the model\'s own precision', async () => {
    for (const [model, args, type] of [[int4, [], 'Q4_0'], [int4, ['--type', 'f16'], 'F16'], [fp32, ['--type', 'f32'], 'F32'], [fp32, [], 'F32']] as const) {
      const out = join(root, `${type}-${args.length}.gguf`);
      const r = await runCli(['export', 'gguf', model, out, ...args]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const bytes = statSync(out).size;
      expect(r.stdout).toBe(`${out} ${formatBytes(bytes)} (${bytes} bytes, ${type})\n`);
    }
  });

  it('refuses what it cannot export in one line with a stable code, leaving no file', async () => {
    const out = join(root, 'refused.gguf');
    const cases: [string[], number, string][] = [
      [['export', 'gguf', fp32, out, '--type', 'q4_0'], 1, 'UNSUPPORTED_MODEL'],
      [['export', 'gguf', int4, out, '--type', 'q8_0'], 2, 'USAGE'],
      [['export', 'gguf', int4], 2, 'USAGE'],
      [['export', 'onnx', int4, out], 2, 'USAGE'],
      [['export', 'gguf', join(root, 'hf'), out], 1, 'NOT_FOUND'],
      [['export', 'gguf', int4, join(root, 'no-such-folder', 'x.gguf')], 1, 'INVALID_INPUT'],
      [['export', 'gguf', int4, root], 1, 'INVALID_INPUT'],
    ];
    for (const [argv, code, error] of cases) {
      const r = await runCli(argv);
      expect({ argv, code: r.code, stdout: r.stdout }).toEqual({ argv, code, stdout: '' });
      expect(r.stderr).toMatch(ONE_LINE);
      expect(r.stderr.startsWith(`quire: ${error}: `)).toBe(true);
    }
    expect(() => statSync(out)).toThrow();
  });
});
