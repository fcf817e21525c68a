import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAppServices } from '../../../electron/node/app-services.ts';
import { REPO } from '../../e2e/serve-process.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { runCli } from '../run-cli.ts';

let dataDir: string;
let model: string;
let document: string;

const ask = (args: string[]) =>
  spawnSync(process.execPath, ['bin/quire.mjs', 'ask', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, QUIRE_DATA_DIR: dataDir }, timeout: 120_000 });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'quire-ask-'));
  model = await installTinyModel(dataDir);
  // The shortest answers the settings allow keep the two processes quick (the tiny model never ends a turn on
  // its own), and the document is just long enough (~1,300 tokens) for its snapshot to matter.
  const services = createAppServices({ mode: 'cli', root: dataDir });
  const updated = await services.router('settings.update', { answerTokens: 16 });
  expect(updated.ok).toBe(true);
  await services.close();
  document = join(dataDir, 'minutes.txt');
  writeFileSync(document, Array.from({ length: 40 }, (_, i) => `Item ${i + 1}: the committee noted the report and moved on.`).join('\n'));
}, 120_000);

// One `quire ask` process per test: the second test restores the snapshot the first one saved.
describe('quire ask', () => {
  it('prefills the whole document once and saves its snapshot', () => {
    const first = ask([document, 'What did the committee note?', '--model', model]);
    expect(first.status).toBe(0);
    expect(first.stdout.trim().length).toBeGreaterThan(0);
    expect(first.stderr).toMatch(/prefill [\d,]+\/[\d,]+ tokens \(\d+%\), [\d,]+ tokens\/s/);
    const [, prefilled, prompt] = /document prefilled and its snapshot saved; ([\d,]+) of ([\d,]+) prompt tokens processed/.exec(first.stderr)!.map((n) => Number(n?.replace(/,/g, '')));
    expect(prefilled).toBe(prompt);
  });

  it('restores that snapshot in a new process', () => {
    const second = ask([document, 'And then?', '--model', model]);
    expect(second.status).toBe(0);
    expect(second.stderr).toMatch(/already in the library/);
    const [, again, total] = /document restored from its snapshot; ([\d,]+) of ([\d,]+) prompt tokens processed/.exec(second.stderr)!.map((n) => Number(n?.replace(/,/g, '')));
    expect(total).toBeGreaterThan(1000);
    expect(again).toBeLessThan(30);
  });

  // Refusals come before any model is loaded: the CLI in this process, no Node start per case.
  it('refuses a missing document or model in one line', async () => {
    const missing = await runCli(['ask', join(dataDir, 'nope.pdf'), 'Why?', '--model', model]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^quire: NOT_FOUND: [^\n]+\n$/);
    const noModel = await runCli(['ask', document, 'Why?', '--model', join(dataDir, 'no-model')]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/^quire: NOT_FOUND: no model folder[^\n]+\n$/);
    expect((await runCli(['ask', document])).code).toBe(2);
  });
});
