// `quire convert` refuses, in one line with a stable code and before writing anything, checkpoints that
// would convert "fine" and then fail or answer garbage: no tokenizer, a damaged tokenizer, a RoPE base of 0
// or a scaling factor no model has.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';

const root = mkdtempSync(join(tmpdir(), 'quire-convert-refusals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cli = (...argv: string[]) => runCli(argv);

let n = 0;
// A fresh copy of the tiny checkpoint, damaged by `damage`, converted into a folder that must not appear.
async function convertDamaged(damage: (hf: string) => void) {
  const hf = join(root, `hf-${++n}`);
  await writeTinyCheckpoint(hf, { rope: 'yarn' });
  damage(hf);
  const out = join(root, `out-${n}`);
  const result = await cli('convert', hf, out, '--precision', 'fp32');
  return { ...result, wrote: existsSync(out) };
}

const editConfig = (edit: (c: Record<string, any>) => void) => (hf: string) => {
  const config = JSON.parse(readFileSync(join(hf, 'config.json'), 'utf8'));
  edit(config);
  writeFileSync(join(hf, 'config.json'), JSON.stringify(config));
};

describe('quire convert refuses a broken checkpoint before writing', () => {
  it.each<[string, (hf: string) => void, RegExp]>([
    ['no tokenizer.json', (hf) => rmSync(join(hf, 'tokenizer.json')), /^quire: INVALID_INPUT: .*has no tokenizer\.json/],
    ['tokenizer.json that is not JSON', (hf) => writeFileSync(join(hf, 'tokenizer.json'), '{"model": '), /^quire: MODEL_CORRUPT: .*tokenizer\.json is not valid JSON/],
    ['tokenizer.json without vocabulary', (hf) => writeFileSync(join(hf, 'tokenizer.json'), '{"model":{"type":"BPE"}}'), /^quire: MODEL_CORRUPT: .*tokenizer\.json holds no tokenizer model/],
    ['tokenizer.json that is null', (hf) => writeFileSync(join(hf, 'tokenizer.json'), 'null'), /^quire: MODEL_CORRUPT/],
    ['rope_theta 0', editConfig((c) => (c.rope_theta = 0)), /^quire: INVALID_INPUT: .*rope_theta must be .* got 0$/m],
    ['rope_theta below 1', editConfig((c) => (c.rope_theta = 0.5)), /^quire: INVALID_INPUT: .*rope_theta/],
    ['negative rope_theta', editConfig((c) => (c.rope_theta = -10000)), /^quire: INVALID_INPUT: .*rope_theta/],
    ['a RoPE factor of 1e300', editConfig((c) => (c.rope_scaling.factor = 1e300)), /^quire: INVALID_INPUT: .*factor must be .* got 1e\+300$/m],
    ['a RoPE factor of 0', editConfig((c) => (c.rope_scaling.factor = 0)), /^quire: INVALID_INPUT: .*factor/],
    ['a negative RoPE factor', editConfig((c) => (c.rope_scaling.factor = -4)), /^quire: INVALID_INPUT: .*factor/],
    ['an original context larger than the context', editConfig((c) => (c.rope_scaling.original_max_position_embeddings = 1e9)), /^quire: INVALID_INPUT: .*original_max_position_embeddings/],
    ['a zero attention_factor', editConfig((c) => (c.rope_scaling.attention_factor = 0)), /^quire: INVALID_INPUT: .*attention_factor/],
  ])('%s', async (_name, damage, message) => {
    const result = await convertDamaged(damage);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.wrote).toBe(false);
  });

  it('the untouched checkpoint converts (the refusals above are about the damage)', async () => {
    const result = await convertDamaged(() => undefined);
    expect(result.stderr).not.toMatch(/quire: [A-Z_]+:/);
    expect(result.code).toBe(0);
  });
});
