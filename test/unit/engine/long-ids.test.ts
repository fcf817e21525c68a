// `quire inspect logits` and `quire generate` with 10,000 `--ids` on a model with 32 attention heads used to
// die of SIGSEGV: onnxruntime reads /proc/self/cmdline when it starts and matches it with a recursive regex
// whose depth grows with the command line's length, so ~40 KB of ids overflowed the main thread's stack.
// Run as the real CLI process, with the default stack.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyModel } from './tiny-model.ts';

const REPO = join(import.meta.dirname, '../../..');
const IDS = 10_000;
const ids = Array.from({ length: IDS }, (_, i) => (i * 7919 + 13) % 250).join(',');
let model: string;

function quire(...args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/quire.mjs', ...args], { cwd: REPO, env: { ...process.env, QUIRE_DATA_DIR: mkdtempSync(join(tmpdir(), 'quire-ids-')) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

beforeAll(async () => {
  // The shape from the report: hidden 512, 32 heads of 16, a context well past 10K.
  model = await tinyModel({ hiddenSize: 512, heads: 32, kvHeads: 8, layers: 1, intermediateSize: 1024, originalContext: 4096, factor: 8 });
}, 120_000);

describe('thousands of --ids on the command line', () => {
  it(`inspect logits --ids with ${IDS} ids answers with the last position's logits`, { timeout: 300_000 }, async () => {
    expect(ids.length).toBeGreaterThan(30_000);
    const r = await quire('inspect', 'logits', '--model', model, '--ids', ids, '--chunk', '2048', '--json');
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    const { logits } = JSON.parse(r.stdout);
    expect(logits.length).toBeGreaterThan(250);
    expect(logits.every(Number.isFinite)).toBe(true);
  });

  it(`generate --ids with ${IDS} ids generates`, { timeout: 300_000 }, async () => {
    const r = await quire('generate', '--model', model, '--ids', ids, '--max-new-tokens', '3', '--json');
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).tokens).toHaveLength(3);
  });

  it('a refusal from the command still comes back as one line and its exit code', { timeout: 120_000 }, async () => {
    const r = await quire('inspect', 'logits', '--model', model, '--ids', `${ids},99999`, '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^quire: INVALID_INPUT: token id 99999 is outside the vocabulary/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
