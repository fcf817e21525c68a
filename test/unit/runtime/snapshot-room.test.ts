// A document's cache larger than all the room saved caches have is not saved, and evicts nobody else's.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelAt } from '../../../electron/node/installed-models.ts';
import { ModelRuntime, type AnswerRequest } from '../../../electron/node/runtime/model-runtime.ts';
import { prefixKey } from '../../../electron/node/runtime/prefix-store.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';

const runtimes: ModelRuntime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.close();
});

const ids = (n: number, seed: number) => Int32Array.from({ length: n }, (_, i) => 3 + ((i * 31 + seed) % 200));

function question(runtime: ModelRuntime, model: ReturnType<typeof modelAt>, prefix: Int32Array, warnings: string[]) {
  const request: AnswerRequest = {
    model,
    settings: { contextTokens: 4096, provider: 'cpu' },
    prompt: { prefix: { key: prefixKey(prefix), length: prefix.length, tokens: async () => prefix, owners: ['doc'] }, tail: ids(5, 9) },
    room: () => 2,
    sampling: { greedy: true },
    stop: [],
    save: 'prefix',
    signal: new AbortController().signal,
  };
  return runtime.answer(request, { onWarning: (w) => warnings.push(w) });
}

describe('the room saved caches have', () => {
  it("saves what fits, and says so instead of evicting others for one that does not", async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-room-'));
    const model = modelAt(await installTinyModel(root));
    const small = ids(200, 1);
    // Room for about 300 tokens of this model's cache: the 200-token prefix fits, a 1,000-token one does not.
    const probe = new ModelRuntime({ root });
    runtimes.push(probe);
    const perToken = (await probe.ensure(model, { contextTokens: 4096, provider: 'cpu' })).report.kvBytesPerToken;
    await probe.close();
    const runtime = new ModelRuntime({ root, snapshotBudgetBytes: 300 * perToken + 64 * 1024 });
    runtimes.push(runtime);
    const warnings: string[] = [];
    const first = await question(runtime, model, small, warnings);
    expect(first.saved).toBe(runtime.store.path(model.id, prefixKey(small)));
    const big = ids(1000, 2);
    const second = await question(runtime, model, big, warnings);
    expect(second.saved).toBeNull();
    expect(warnings).toEqual([expect.stringMatching(/^this document's cache \(.+\) is larger than the .+ saved caches may use on this disk, so it is not saved/)]);
    // The small document's cache is still there.
    expect(existsSync(first.saved!)).toBe(true);
  }, 120_000);
});
