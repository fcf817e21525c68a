// A document's snapshot cannot be written (the disk is full, or a file-size limit is reached): the question
// must still be answered from the prefilled cache, the user told why the snapshot was skipped, and no partial
// snapshot file left behind. The engine runs in its own process under `ulimit -f` (what any CI machine allows,
// unlike mounting a small tmpfs), which makes every write past 64 KB fail with EFBIG.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost, type EngineProcess } from '../../../electron/node/runtime/engine-host.ts';
import { childService } from '../../../electron/node/service-process.ts';
import type { EngineReply, EngineRequest } from '../../../electron/node/engine/engine-protocol.ts';
import { entryPoints } from '../../../electron/node/entry-points.ts';
import { snapshotsDir } from '../../../electron/node/paths.ts';
import { tinyModel } from './tiny-model.ts';
import { loadDocument } from './load-document.ts';

// 128 blocks of 512 bytes: the snapshot of the document below is about 1 MB.
const FILE_SIZE_LIMIT_BLOCKS = 128;
const doc = Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 250);

// The engine's process as forkEngineProcess starts it, but under a file-size limit; the IPC channel passes
// through `sh -c … exec`.
function limitedEngineProcess(root: string): EngineProcess {
  return childService<EngineRequest, EngineReply>(
    spawn('sh', ['-c', `ulimit -f ${FILE_SIZE_LIMIT_BLOCKS} && exec "$0" "$1"`, process.execPath, entryPoints.engineHost], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, QUIRE_DATA_DIR: root },
    }),
  );
}

let dir: string;
let host: EngineHost;
const root = mkdtempSync(join(tmpdir(), 'quire-disk-full-'));
const snapshot = join(snapshotsDir(root), 'doc-1', 'kv.qkv');

beforeAll(async () => {
  dir = await tinyModel({ originalContext: 4096, factor: 8 });
  host = new EngineHost(limitedEngineProcess(root));
  await host.call('load', { dir, options: { context: 4096 } });
}, 120_000);

afterAll(() => host?.kill());

describe('a snapshot that cannot be written', () => {
  it('is skipped with a reason; the document is loaded and the question answered', { timeout: 120_000 }, async () => {
    const warnings: string[] = [];
    const source = await loadDocument(host, { tokens: doc, snapshot}, { onWarning: (w) => warnings.push(w) });
    expect(source).toBe('prefill');
    expect(warnings).toHaveLength(1);
    // The onnxruntime-node path names the errno (EFBIG); the native addon reports a short write.
    expect(warnings[0]).toMatch(/cache could not be saved: (a file size limit was reached \(EFBIG\)|short write to \S+); the answer is not affected/);
    // Nothing half-written stays behind to eat the disk that is already full.
    expect(existsSync(snapshot)).toBe(false);
    expect(existsSync(join(snapshotsDir(root), 'doc-1')) ? readdirSync(join(snapshotsDir(root), 'doc-1')) : []).toEqual([]);
    // The cache holds the document: the question goes on from it.
    await host.call('sync', { tokens: [...doc, 3, 4, 5] });
    const answer = await host.call('generate', { maxNewTokens: 4, sampling: { greedy: true } });
    expect(answer.tokens.length).toBeGreaterThan(0);
    expect((await host.call('state', {})).prefilledTokens).toBe(doc.length + 3);
  });
});
