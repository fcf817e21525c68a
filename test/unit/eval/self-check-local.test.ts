// The self-check on the local model goes through the runtime's one answer() (issue 22): through the app's
// router as the Models screen calls it, the engine's process is sent a load and one answer per prompt, nothing
// else; each cell is reported as it is done, the result keeps its shape, and Cancel ends a run part-way.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import type { EngineRequest } from '../../../electron/node/engine/engine-protocol.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { callRouter } from '../router-call.ts';
import { recordingEngine } from '../runtime/recording-engine.ts';

const calls: EngineRequest['method'][] = [];
const prompts: number[] = [];
const countingEngine = recordingEngine((message) => {
  if (message.method === 'cancel') return;
  calls.push(message.method);
  if (message.method === 'answer') prompts.push(message.params.tail.length);
});

let services: AppServices;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'quire-self-check-local-'));
  await installTinyModel(root);
  services = createAppServices({ mode: 'cli', root, engineProcess: countingEngine });
  await callRouter(services, 'settings.update', { contextTokens: 2048 });
}, 120_000);

afterAll(async () => {
  await services?.close();
});

describe('the local self-check', () => {
  it('costs the engine a load and one answer per prompt, and reports each cell as it is done', async () => {
    const progress: { done: number; total: number }[] = [];
    const unsubscribe = services.bus.subscribe((name, payload) => {
      if (name === 'models.selfCheckProgress') progress.push(payload as { done: number; total: number });
    });
    calls.length = 0;
    prompts.length = 0;
    const result = await callRouter(services, 'models.selfCheck', {});
    unsubscribe();
    expect(calls).toEqual(['load', ...Array<string>(20).fill('answer')]);
    // Each prompt fills its cell's length but for the answer's room (16 tokens), within a filler sentence (the tiny tokenizer spells many in 40 to 60 tokens).
    for (const [i, length] of [256, 512, 1024, 2048].flatMap((l) => Array<number>(5).fill(l)).entries()) {
      expect(prompts[i]).toBeLessThanOrEqual(length - 16);
      expect(prompts[i]).toBeGreaterThan(length - 16 - 64);
    }
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(Object.keys(result).sort()).toEqual(['cells', 'heatmapSvg', 'mean', 'modelId']);
    expect(result.modelId).toBe('tiny-demo');
    expect(result.cells.map((c) => [c.length, c.depth])).toEqual([256, 512, 1024, 2048].flatMap((l) => [0, 25, 50, 75, 100].map((d) => [l, d])));
    expect(result.cells.every((c) => c.samples === 1 && c.seconds > 0 && (c.accuracy === 0 || c.accuracy === 1))).toBe(true);
    expect(result.heatmapSvg).toMatch(/^<svg/);
  }, 120_000);

  it('ends CANCELLED part-way on Cancel, and the next check runs whole', async () => {
    let cells = 0;
    const unsubscribe = services.bus.subscribe((name) => {
      if (name === 'models.selfCheckProgress' && ++cells === 3) void callRouter(services, 'models.cancelSelfCheck', {});
    });
    await expect(callRouter(services, 'models.selfCheck', {})).rejects.toMatchObject({ code: 'CANCELLED' });
    unsubscribe();
    expect(cells).toBeGreaterThanOrEqual(3);
    expect(cells).toBeLessThan(20);
    expect(await callRouter(services, 'models.cancelSelfCheck', {})).toEqual({ cancelled: false });
    expect((await callRouter(services, 'models.selfCheck', {})).cells).toHaveLength(20);
  }, 120_000);
});
