import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../../../electron/node/runtime/engine-host.ts';
import type { PrefillProgress } from '../../../electron/node/engine/engine-protocol.ts';
import { snapshotsDir } from '../../../electron/node/paths.ts';
import { tinyModel } from './tiny-model.ts';
import { loadDocument } from './load-document.ts';

// The acceptance: a 16K-token document prefilled once; a follow-up prefills only its own tokens; after
// the engine process is killed and restarted, the document comes back from its snapshot, not a prefill.
const DOC_TOKENS = 16 * 1024;
const CONTEXT = DOC_TOKENS + 512;

const doc = Array.from({ length: DOC_TOKENS }, (_, i) => (i * 7919 + 13) % 250);
const q1 = [3, 4, 5, 6, 7];
const q2 = [9, 10, 11];

let dir: string;
const root = mkdtempSync(join(tmpdir(), 'quire-data-'));
const snapshot = join(snapshotsDir(root), 'doc-1', 'kv.qkv');
const hosts: EngineHost[] = [];

beforeAll(async () => {
  dir = await tinyModel({ originalContext: 4096, factor: 8 });
});
afterAll(async () => {
  for (const h of hosts) h.kill();
});

function start(): EngineHost {
  const host = new EngineHost();
  hosts.push(host);
  return host;
}

describe('engine host', () => {
  let followUp: Float32Array;

  it('prefills a 16K-token document once; follow-ups prefill only their own tokens', { timeout: 120_000 }, async () => {
    const host = start();
    const report = await host.call('load', { dir, options: { context: CONTEXT } });
    expect(report.context).toBe(CONTEXT);
    const progress: PrefillProgress[] = [];
    const source = await loadDocument(host, { tokens: doc, snapshot, chunk: 2048}, { onProgress: (p) => progress.push(p) });
    expect(source).toBe('prefill');
    expect(progress.at(-1)).toMatchObject({ done: DOC_TOKENS, total: DOC_TOKENS, etaSeconds: 0 });
    expect(progress[0].tokensPerSecond).toBeGreaterThan(0);
    expect((await host.call('state', {})).prefilledTokens).toBe(DOC_TOKENS);

    await host.call('sync', { tokens: [...doc, ...q1] });
    const answer = await host.call('generate', { maxNewTokens: 4, sampling: { greedy: true } });
    expect(answer.tokens.length).toBeGreaterThan(0);
    await host.call('rewind', { length: DOC_TOKENS });
    followUp = await host.call('sync', { tokens: [...doc, ...q2] });
    // Decoded answer tokens go through decode steps, not prefill.
    expect((await host.call('state', {})).prefilledTokens).toBe(DOC_TOKENS + q1.length + q2.length);
    host.kill();
  });

  it('restores the document from its snapshot after a process restart', { timeout: 60_000 }, async () => {
    const host = start();
    await host.call('load', { dir, options: { context: CONTEXT } });
    expect(await loadDocument(host, { tokens: doc, snapshot})).toBe('snapshot');
    expect((await host.call('state', {})).prefilledTokens).toBe(0);
    const logits = await host.call('sync', { tokens: [...doc, ...q2] });
    expect((await host.call('state', {})).prefilledTokens).toBe(q2.length);
    expect(Array.from(logits)).toEqual(Array.from(followUp));
    await host.close();
  });

  it('cancels a running prefill and reports errors with their codes', { timeout: 60_000 }, async () => {
    const host = start();
    await host.call('load', { dir, options: { context: CONTEXT } });
    const pending = host.call('sync', { tokens: doc, chunk: 256 }, { onProgress: (p) => p.done >= 512 && host.cancel() });
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    const state = await host.call('state', {});
    expect(state.length).toBeGreaterThanOrEqual(512);
    expect(state.length).toBeLessThan(DOC_TOKENS);
    await expect(host.call('rewind', { length: DOC_TOKENS + 1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(host.call('sync', { tokens: new Array(CONTEXT + 1).fill(1) })).rejects.toMatchObject({ code: 'DOES_NOT_FIT' });
    await host.close();
  });
});
