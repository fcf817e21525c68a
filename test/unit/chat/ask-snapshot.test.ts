// `quire ask` as a user meets a damaged saved cache: a snapshot overwritten with NaN is not used (the document
// is processed again, the user warned, the answer the one a clean run gives). The WebGPU ask that saves and
// restores is in engine/webgpu-provider.test.ts; the device cache's logits after a restore in webgpu-snapshot.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAppServices } from '../../../electron/node/app-services.ts';
import { readSnapshotHeader, tensorsOffset } from '../../../electron/node/engine/kv-snapshot.ts';
import { REPO } from '../../e2e/serve-process.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';

let dataDir: string;
let model: string;
let document: string;

function ask(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['bin/quire.mjs', 'ask', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, QUIRE_DATA_DIR: dataDir, ...env },
    timeout: 240_000,
  });
}

function snapshots(): string[] {
  const root = join(dataDir, 'snapshots');
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.qkv')).map((p) => join(root, p));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'quire-ask-snap-'));
  model = await installTinyModel(dataDir);
  const services = createAppServices({ mode: 'cli', root: dataDir });
  await services.router('settings.update', { answerTokens: 16 });
  await services.close();
  document = join(dataDir, 'minutes.txt');
  writeFileSync(document, Array.from({ length: 120 }, (_, i) => `Item ${i + 1}: the committee noted the report and moved on.`).join('\n'));
}, 120_000);

describe('quire ask with a saved cache', () => {
  it('discards a damaged snapshot, warns, processes the document again and answers as before', { timeout: 300_000 }, async () => {
    const question = 'What did the committee note?';
    const first = ask([document, question, '--model', model]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/document prefilled and its snapshot saved/);
    const [file] = snapshots();
    const header = await readSnapshotHeader(file);
    const bytes = readFileSync(file);
    bytes.set(new Uint8Array(new Float32Array(256).fill(Number.NaN).buffer), tensorsOffset(header) + 4096);
    writeFileSync(file, bytes);

    const second = ask([document, question, '--model', model]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/quire: warning: this document's saved cache was damaged \(snapshot block \d+ fails its checksum\); it was discarded and the document processed again/);
    expect(second.stderr).toMatch(/document prefilled and its snapshot saved/);
    expect(second.stdout).toBe(first.stdout);

    const third = ask([document, question, '--model', model]);
    expect(third.stderr).toMatch(/document restored from its snapshot/);
    expect(third.stderr).not.toMatch(/warning/);
    expect(third.stdout).toBe(first.stdout);
  });
});
