// Conversion throughput and peak memory on generated checkpoints with the real Llama-3.1-8B layer shapes
// (hidden 4096, intermediate 14336, 32/8 heads). Each conversion runs in a child process so its peak RSS is
// its own; two checkpoint sizes show peak memory does not grow with the checkpoint. Each row sets the
// conversion's rate beside a plain read of the same checkpoint files in the same run and the same page-cache
// state (the goal: ≥ 80% of the disk's read, ≤ 1 GB RSS): `warm` reads and converts from the page
// cache, `cold` from the disk, the files evicted first (dd iflag=nocache) before the read and the conversion
// alike. CPU s/GB (all the conversion's threads, per GB of checkpoint read) is what bounds the rate on few
// cores. The data checksum column shows the output bytes are the same whatever the code path.
//   node bench/convert.ts [--layers 1,3] [--vocab 32000] [--dtype BF16] [--precision fp16,int4] [--cache warm,cold]
//                         [--dir /tmp/quire-bench-convert]
// --dtype is the checkpoint's (BF16 as Llama-3.1 ships; F32 doubles the bytes to read and hash).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../models/convert.ts';
import type { Precision } from '../models/model-spec.ts';
import type { SafeDtype } from '../models/safetensors.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';
import { endChild } from './child-exit.ts';

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '1,3' },
    vocab: { type: 'string', default: '32000' },
    dtype: { type: 'string', default: 'BF16' },
    precision: { type: 'string', default: 'fp16,int4' },
    cache: { type: 'string', default: 'warm,cold' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-convert') },
    child: { type: 'string' },
  },
});

if (values.child) {
  const [hf, out, precision] = values.child.split('|');
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const manifest = await convertCheckpoint(hf, out, { precision: precision as Precision });
  const seconds = (performance.now() - started) / 1000;
  // All threads of the process: what the conversion costs whatever else the cores are doing.
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024, data: manifest.checksums?.['model.onnx.data'] ?? '' }));
  await endChild();
}

const safetensors = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.safetensors'));

// Writes back what earlier runs left dirty; with `cold` drops the checkpoint's files from the page cache, with
// `warm` reads them into it (a conversion before, reading with O_DIRECT, leaves them out).
function settle(dir: string, cache: string): void {
  execFileSync('sync');
  if (cache === 'cold') for (const f of safetensors(dir)) execFileSync('dd', [`if=${join(dir, f)}`, 'iflag=nocache', 'count=0', 'status=none']);
  else plainReadMBps(dir);
}

// MB/s of reading every safetensors file of `dir` start to end in 16 MiB reads, doing nothing with the bytes.
function plainReadMBps(dir: string): number {
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  let bytes = 0;
  const started = performance.now();
  for (const f of safetensors(dir)) {
    const fd = openSync(join(dir, f), 'r');
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) bytes += n;
    closeSync(fd);
  }
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

const folderBytes = (dir: string) => readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
const rows: string[][] = [];
for (const layers of values.layers.split(',').map(Number)) {
  const hf = join(values.dir, `hf-${layers}-${values.dtype}`);
  if (!existsSync(join(hf, 'config.json'))) {
    await writeTinyCheckpoint(hf, { hiddenSize: 4096, intermediateSize: 14336, heads: 32, kvHeads: 8, layers, vocabSize: Number(values.vocab), originalContext: 8192, factor: 128, ropeTheta: 500000, shards: 2, dtype: values.dtype as SafeDtype });
  }
  const sourceGB = folderBytes(hf) / 1e9;
  for (const cache of values.cache.split(',')) {
    settle(hf, cache);
    const readMBps = plainReadMBps(hf);
    for (const precision of values.precision.split(',')) {
      const out = join(values.dir, `out-${layers}-${precision}`);
      settle(hf, cache);
      const result = JSON.parse(execFileSync(process.execPath, [process.argv[1], '--child', `${hf}|${out}|${precision}`], { encoding: 'utf8', maxBuffer: 1 << 20 })) as { seconds: number; cpuSeconds: number; maxRssMB: number; data: string };
      const mbps = (sourceGB * 1000) / result.seconds;
      rows.push([String(layers), sourceGB.toFixed(2), precision, cache, (folderBytes(out) / 1e9).toFixed(2), result.seconds.toFixed(1), result.cpuSeconds.toFixed(1), (result.cpuSeconds / sourceGB).toFixed(2), mbps.toFixed(0), readMBps.toFixed(0), `${((100 * mbps) / readMBps).toFixed(0)}%`, result.maxRssMB.toFixed(0), result.data.slice(0, 12)]);
      rmSync(out, { recursive: true, force: true });
    }
  }
}
const header = ['layers', 'source GB', 'precision', 'page cache', 'output GB', 'seconds', 'CPU s', 'CPU s/GB', 'MB/s (source)', 'plain read MB/s', 'of read', 'peak RSS MB', 'data checksum'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));
