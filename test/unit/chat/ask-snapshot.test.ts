// `quire ask` as a user meets a damaged saved cache and a GPU provider: a snapshot overwritten with NaN is
// not used (the document is processed again, the user warned, the answer the one a clean run gives), and on
// WebGPU (SwiftShader here) a whole ask saves its snapshot and a new process restores it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAppServices } from '../../../electron/node/app-services.ts';
import { readSnapshotHeader, tensorsOffset } from '../../../electron/node/engine/kv-snapshot.ts';
import { REPO } from '../../e2e/serve-process.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';

const SWIFTSHADER = '/usr/lib/chromium';
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

  it('on WebGPU saves the snapshot after the prefill and restores it in a new process', { timeout: 400_000 }, () => {
    const env = {
      VK_ICD_FILENAMES: join(SWIFTSHADER, 'vk_swiftshader_icd.json'),
      LD_LIBRARY_PATH: [SWIFTSHADER, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'quire-xdg-')),
    };
    const other = join(dataDir, 'agenda.txt');
    writeFileSync(other, Array.from({ length: 12 }, (_, i) => `Point ${i + 1}: the board approved the budget line.`).join('\n'));
    const first = ask([other, 'What was approved?', '--model', model, '--provider', 'webgpu'], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/document prefilled and its snapshot saved/);
    const second = ask([other, 'What was approved?', '--model', model, '--provider', 'webgpu'], env);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/document restored from its snapshot; \d+ of [\d,]+ prompt tokens processed/);
    expect(second.stdout).toBe(first.stdout);
  });
});
