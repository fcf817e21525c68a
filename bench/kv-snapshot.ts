// KV snapshot throughput: MB/s of a whole-cache save (write, checksum, fsync, rename) and restore (read,
// checksum check, and on a device the host→device copy) per engine path and provider, next to a plain
// sequential write and read of the same number of bytes on the same disk (the physical limit the snapshot
// code should approach), each the median of --rounds. The cache holds random bytes instead of a prefill (the
// copy does not care what the rows hold, and no disk or page cache gets zeros it could skip); the plain copy
// moves the same bytes. A restore is timed twice: "warm" reads a file still in the page cache (the pipeline:
// copies and checksums), "cold" after the file's pages are dropped (the disk; Linux, by `dd iflag=nocache`,
// else not shown). Two plain ways are measured: a plain program's 8 MiB calls (write, then one fsync) and dd
// with O_DIRECT; the "of plain" ratios pair each round's snapshot with the faster of them in that round, so
// the machine's other load weighs on both alike. WebGPU runs on whatever Vulkan the environment gives
// (SwiftShader: VK_ICD_FILENAMES=… LD_LIBRARY_PATH=…).
//   node bench/kv-snapshot.ts [--tokens 8192] [--rounds 3] [--providers cpu,webgpu] [--paths native,onnxruntime-node]
//     [--dir /tmp/quire-bench-kv]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../models/convert.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import type { EnginePath } from '../electron/node/engine/backend.ts';
import { makeHeader, readBlockSums, readSnapshotHeader, tensorsOffset, writeCacheBody, writeSnapshot } from '../electron/node/engine/kv-snapshot.ts';
import type { Provider } from '../electron/node/engine/provider-choice.ts';
import { printTable } from './roofline.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '8192' },
    rounds: { type: 'string', default: '3' },
    providers: { type: 'string', default: 'cpu' },
    // The engine paths measured on the cpu (a GPU provider runs on the native path only).
    paths: { type: 'string', default: 'native,onnxruntime-node' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-kv') },
  },
});
const tokens = Number(values.tokens);
// 8 layers × 8 KV heads × 64 dims, fp32: 32 KiB of cache per token (256 MiB at 8K tokens, 1 GiB at 32K). YaRN
// stretches the 2048 trained positions to at least the tokens asked for.
const factor = Math.max(8, 2 ** Math.ceil(Math.log2(tokens / 2048)));
const SHAPE = { hiddenSize: 512, intermediateSize: 1024, layers: 8, heads: 8, kvHeads: 8, vocabSize: 512, originalContext: 2048, factor };

const model = join(values.dir, `model-x${factor}`);
if (!existsSync(join(model, 'quire.json'))) {
  await writeTinyCheckpoint(join(values.dir, `hf-x${factor}`), SHAPE);
  await convertCheckpoint(join(values.dir, `hf-x${factor}`), model, { precision: 'fp32' });
}
mkdirSync(values.dir, { recursive: true });
const file = join(values.dir, 'bench.qkv');
const ids = Array.from({ length: tokens }, (_, i) => i % SHAPE.vocabSize);

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

// Drops a file's pages from the page cache so the next read comes from the disk; false where that is not
// possible here (no GNU dd, not Linux).
function dropCache(path: string): boolean {
  if (process.platform !== 'linux') return false;
  try {
    execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The same bytes through one handle in 8 MiB calls, from and into memory of the body's size (as a cache is;
// a small buffer read into again and again would stay in the CPU's caches): a plain program's sequential
// write (then one fsync) and read.
async function plainCopy(memory: Buffer): Promise<Speeds & { path: string }> {
  const path = join(values.dir, 'plain.bin');
  const bytes = memory.length;
  const CALL = 8 << 20;
  const read = () =>
    timed(async () => {
      const f = await open(path, 'r');
      for (let at = 0; at < bytes; at += CALL) await f.read(memory, at, Math.min(CALL, bytes - at), at);
      await f.close();
    });
  const save = await timed(async () => {
    const f = await open(path, 'w');
    for (let at = 0; at < bytes; at += CALL) await f.write(memory, at, Math.min(CALL, bytes - at), at);
    await f.sync();
    await f.close();
  });
  const warm = await read();
  const cold = dropCache(path) ? await read() : NaN;
  return { save, warm, cold, path };
}

// The disk without the page cache: dd with O_DIRECT in 16 MiB calls, writing a copy of `path` (read from the
// page cache) and reading it back cold (Linux with GNU dd; else NaN). A plain buffered write leaves the
// disk idle until its fsync, so this is the better measure of what the disk can take.
async function directCopy(path: string): Promise<Speeds> {
  const copy = `${path}.direct`;
  const dd = (args: string[]) => timed(async () => execFileSync('dd', [...args, 'bs=16M', 'status=none'], { stdio: 'ignore' }));
  if (!dropCache(path)) return { save: NaN, warm: NaN, cold: NaN };
  await dd([`if=${path}`, 'of=/dev/null']);
  const save = await dd([`if=${path}`, `of=${copy}`, 'oflag=direct', 'conv=fsync']);
  dropCache(copy);
  const cold = await dd([`if=${copy}`, 'of=/dev/null', 'iflag=direct']);
  rmSync(copy, { force: true });
  return { save, warm: NaN, cold };
}

// Seconds per whole-body pass.
interface Speeds {
  save: number;
  warm: number;
  cold: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const MB = 1e6;
const rounds = Number(values.rounds);
const columns = ['save', 'warm', 'cold'] as const;
const rows: string[][] = [];
for (const provider of values.providers.split(',') as Provider[]) {
  const paths = provider === 'cpu' ? (values.paths.split(',') as EnginePath[]) : (['native'] as const);
  for (const path of paths) {
    const s = await EngineSession.load(model, { provider, path, context: tokens });
    const header = makeHeader(s.model.layout, { modelHash: s.model.modelHash, ropeHash: s.model.ropeHash }, ids);
    const bodyBytes = 2 * header.layers * header.kvHeads * tokens * header.rowBytes;
    const restore = async () => {
      const h = await readSnapshotHeader(file);
      await s.backend.loadKv(file, tensorsOffset(h), tokens, h.blockBytes, await readBlockSums(file, h));
    };
    // One tensor's worth of random bytes, in every tensor of the cache (put there by an untimed restore).
    const pattern = randomBytes(header.kvHeads * tokens * header.rowBytes);
    await writeSnapshot(file, header, ids, (f, _tmp, offset) => writeCacheBody(f, offset, s.model.layout, tokens, tokens, () => pattern, header.blockBytes));
    // The first restore writes memory the cache never touched, as after an engine start (page faults).
    const first = await timed(restore);
    // The plain copy's memory, made once: a gigabyte allocated and dropped per round slowed the next round's
    // restores (2.9 against 5.9 GB/s warm).
    const memory = Buffer.alloc(bodyBytes);
    for (let at = 0; at < bodyBytes; at += pattern.length) memory.set(pattern.subarray(0, bodyBytes - at), at);
    const snapshot: Speeds[] = [];
    const plain: Speeds[] = [];
    const direct: Speeds[] = [];
    for (let round = 0; round < rounds; round++) {
      // A new snapshot, as the plain copy writes a new file: replacing one would add the old one's deletion.
      rmSync(file, { force: true });
      const save = await timed(() => writeSnapshot(file, header, ids, (f, tmp, offset) => s.backend.saveKv(f, tmp, offset, tokens, header.blockBytes)));
      const warm = await timed(restore);
      const cold = dropCache(file) ? await timed(restore) : NaN;
      snapshot.push({ save, warm, cold });
      const { path: plainPath, ...buffered } = await plainCopy(memory);
      plain.push(buffered);
      direct.push(await directCopy(plainPath));
      rmSync(plainPath, { force: true });
    }
    const speeds = (runs: Speeds[]) => columns.map((c) => bodyBytes / MB / median(runs.map((r) => r[c])));
    // Each round's snapshot against the faster plain way of the same round: the load of that moment weighs on
    // both.
    const fastest = (c: (typeof columns)[number], i: number) => Math.min(plain[i][c], Number.isFinite(direct[i][c]) ? direct[i][c] : Infinity);
    const ratios = columns.map((c) => median(snapshot.map((r, i) => fastest(c, i) / r[c])));
    const cell = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—');
    const mb = (bodyBytes / MB).toFixed(0);
    rows.push([`${provider} / ${path}`, mb, ...speeds(snapshot).map(cell), ...ratios.map((x) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : '—')), cell(bodyBytes / MB / first)]);
    rows.push(['  plain: 8 MiB calls, write+fsync / read', mb, ...speeds(plain).map(cell), '', '', '', '']);
    rows.push(['  disk: dd O_DIRECT 16 MiB, write / read', mb, ...speeds(direct).map(cell), '', '', '', '']);
    await s.release();
  }
}
rmSync(file, { force: true });
printTable(['engine', 'MB', 'save MB/s', 'restore warm MB/s', 'restore cold MB/s', 'save of plain', 'warm of plain', 'cold of plain', 'first restore MB/s'], rows);
console.log('MB/s: the median of the rounds; "of plain": the median over rounds of the snapshot\'s speed over the faster plain way of that round; first restore: into the fresh cache of a just-loaded session (warm file), once.');
console.log(`median of ${rounds} rounds, ${tokens} tokens; ${new Date().toISOString().slice(0, 16)}Z, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
