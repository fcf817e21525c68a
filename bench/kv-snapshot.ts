// KV snapshot throughput: MB/s of a whole-cache save (write, checksum, fsync, rename) and restore (read,
// checksum check, and on a device the host→device copy) per engine path and provider, next to a plain
// sequential write and read of the same number of bytes on the same disk (the physical limit the snapshot
// code should approach). The cache is filled to its capacity without a prefill: the copy does not care what
// the rows hold. Restores read a file that is still in the page cache, so they measure the pipeline, not the
// disk. WebGPU runs on whatever Vulkan the environment gives (SwiftShader: VK_ICD_FILENAMES=… LD_LIBRARY_PATH=…).
//   node bench/kv-snapshot.ts [--tokens 8192] [--providers cpu,webgpu] [--dir /tmp/quire-bench-kv]
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../models/convert.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import type { EnginePath } from '../electron/node/engine/backend.ts';
import { makeHeader, readBlockSums, readSnapshotHeader, tensorsOffset, writeSnapshot } from '../electron/node/engine/kv-snapshot.ts';
import type { Provider } from '../electron/node/engine/provider-choice.ts';
import { printTable } from './roofline.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '8192' },
    providers: { type: 'string', default: 'cpu' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-kv') },
  },
});
const tokens = Number(values.tokens);
// 8 layers × 8 KV heads × 64 dims, fp32: 32 KiB of cache per token (256 MiB at 8K tokens).
const SHAPE = { hiddenSize: 512, intermediateSize: 1024, layers: 8, heads: 8, kvHeads: 8, vocabSize: 512, originalContext: 2048, factor: 8 };

const model = join(values.dir, 'model');
if (!existsSync(join(model, 'quire.json'))) {
  await writeTinyCheckpoint(join(values.dir, 'hf'), SHAPE);
  await convertCheckpoint(join(values.dir, 'hf'), model, { precision: 'fp32' });
}
mkdirSync(values.dir, { recursive: true });
const file = join(values.dir, 'bench.qkv');
const ids = Array.from({ length: tokens }, (_, i) => i % SHAPE.vocabSize);

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

// The same bytes through one handle: the disk's own sequential write (with fsync) and read.
async function plainCopy(bytes: number): Promise<{ write: number; read: number }> {
  const path = join(values.dir, 'plain.bin');
  const block = Buffer.alloc(8 << 20, 7);
  const write = await timed(async () => {
    const f = await open(path, 'w');
    for (let at = 0; at < bytes; at += block.length) await f.write(block, 0, Math.min(block.length, bytes - at), at);
    await f.sync();
    await f.close();
  });
  const read = await timed(async () => {
    const f = await open(path, 'r');
    for (let at = 0; at < bytes; at += block.length) await f.read(block, 0, Math.min(block.length, bytes - at), at);
    await f.close();
  });
  rmSync(path, { force: true });
  return { write, read };
}

const rows: string[][] = [];
const MB = 1e6;
let bodyBytes = 0;
for (const provider of values.providers.split(',') as Provider[]) {
  const paths: EnginePath[] = provider === 'cpu' ? ['native', 'onnxruntime-node'] : ['native'];
  for (const path of paths) {
    const s = await EngineSession.load(model, { provider, path, context: tokens });
    const header = makeHeader(s.model.layout, { modelHash: s.model.modelHash, ropeHash: s.model.ropeHash }, ids);
    const save = await timed(() => writeSnapshot(file, header, ids, (f, tmp, offset) => s.backend.saveKv(f, tmp, offset, tokens, header.blockBytes)));
    const restore = await timed(async () => {
      const h = await readSnapshotHeader(file);
      await s.backend.loadKv(file, tensorsOffset(h), tokens, h.blockBytes, await readBlockSums(file, h));
    });
    bodyBytes = 2 * header.layers * header.kvHeads * tokens * header.rowBytes;
    rows.push([`${provider} / ${path}`, (bodyBytes / MB).toFixed(0), (bodyBytes / MB / save).toFixed(0), (bodyBytes / MB / restore).toFixed(0)]);
    await s.release();
  }
}
const plain = await plainCopy(bodyBytes);
rows.push(['plain write+fsync / read, same bytes', (bodyBytes / MB).toFixed(0), (bodyBytes / MB / plain.write).toFixed(0), (bodyBytes / MB / plain.read).toFixed(0)]);
rmSync(file, { force: true });
printTable(['engine', 'MB', 'save MB/s', 'restore MB/s'], rows);
