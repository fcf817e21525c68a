// A long answer shares the engine: a short request that arrives while it decodes runs after the long one's
// time slice instead of after its end, and the long answer, continued afterwards, is exactly the answer it
// would have been alone (same sampler state, its prompt and tokens read back into the cache).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstalledModel } from '../../../electron/common/contract.ts';
import { modelAt } from '../../../electron/node/installed-models.ts';
import { ModelRuntime, type Answered } from '../../../electron/node/runtime/model-runtime.ts';
import type { SamplingOptions } from '../../../electron/node/engine/sampler.ts';
import { apiTinyModel } from '../api/api-process.ts';

let model: InstalledModel;
let runtime: ModelRuntime;
const settings = { contextTokens: 16_384, provider: 'cpu' as const };
const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => 20 + ((i * 31 + seed) % 150));

beforeAll(async () => {
  model = modelAt(await apiTinyModel());
  runtime = new ModelRuntime({ root: mkdtempSync(join(tmpdir(), 'quire-share-')), timeSliceMs: 50 });
}, 120_000);
afterAll(() => runtime?.close());

function ask(prompt: number[], maxTokens: number, sampling: SamplingOptions, signal = new AbortController().signal, onText?: (text: string) => void): Promise<Answered> {
  return runtime.answer(
    { model, settings, prompt: { prefix: null, tail: Int32Array.from(prompt) }, room: () => maxTokens, sampling, stop: [], save: { promptMinPrefilled: 1e9 }, signal },
    onText ? { onText } : {},
  );
}

const LONG = ids(300, 1);
const SEEDED = { temperature: 1, seed: 42 };

describe('the engine shared between a long answer and short requests', () => {
  it('serves short requests during a long answer, in arrival order, and the long answer is the one it is alone', async () => {
    const alone = await ask(LONG, 1500, SEEDED);
    expect(alone.tokens.length).toBeGreaterThan(1000);
    const done: string[] = [];
    let streamed = '';
    const long = ask(LONG, 1500, SEEDED, undefined, (piece) => (streamed += piece)).then((r) => (done.push('long'), r));
    // Once the long answer is decoding, two short requests arrive one after the other.
    while (streamed.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    const first = ask(ids(40, 2), 3, { greedy: true }).then(() => void done.push('short 1'));
    const second = ask(ids(40, 3), 3, { greedy: true }).then(() => void done.push('short 2'));
    const shared = await long;
    await Promise.all([first, second]);
    expect(done).toEqual(['short 1', 'short 2', 'long']);
    expect(shared.tokens).toEqual(alone.tokens);
    expect(shared.text).toBe(alone.text);
    expect(streamed).toBe(alone.text);
    // The usage a client sees counts its prompt once, not the re-reads after each pause.
    expect(shared.promptTokens).toBe(LONG.length);
  }, 120_000);

  it('gives a long answer that stops while it waits for its turn again the answer so far, marked stopped', async () => {
    const stop = new AbortController();
    let streamed = '';
    const long = ask(LONG, 4000, { greedy: true }, stop.signal, (piece) => (streamed += piece));
    while (streamed.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    // The stop lands while the other request holds the engine and the long one waits.
    let other = '';
    const short = ask(ids(40, 4), 2000, { greedy: true }, undefined, (piece) => (other += piece));
    while (other.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    stop.abort();
    const stopped = await long;
    expect(stopped.stopped).toBe(true);
    expect(stopped.text).toBe(streamed);
    expect(stopped.tokens.length).toBeLessThan(4000);
    // The stop did not reach the short request, which holds the engine.
    expect((await short).tokens).toHaveLength(2000);
    // And the engine serves on.
    expect((await ask(ids(10, 5), 2, { greedy: true })).tokens).toHaveLength(2);
  }, 120_000);
});
