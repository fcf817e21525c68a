// Quire's int4 kernel (native/src/q4_gemm.cc) against onnxruntime's own MatMulNBits, one node at a time on the
// Llama-3.1-8B layer shapes (int4, block 32, fp32 activations), same session options, same run: prompt chunks
// (M = the prefill chunk) and decode (M = 1). Each path of Quire's kernel this CPU runs gets its columns (AVX-512
// VNNI and AVX2 on an AVX-512 VNNI CPU; --paths picks), GOP/s beside its nominal int8 peak (roofline.ts: VNNI's
// for avx512, VPMADDUBSW's for avx2). The kernels' runs alternate (onnxruntime, each path, again), so a change of
// load touches all alike; the load average is printed before and after. With --model, a converted int4 model
// instead: a document's prefill and decode with onnxruntime's kernel and each path in turn, their last-token logits
// compared.
//   node bench/int4-kernel.ts [--rows 1,512] [--paths avx512,avx2] [--threads N] [--runs 6]
//   node bench/int4-kernel.ts --model <int4 model dir> [--paths avx512,avx2] [--tokens 2048] [--rounds 2]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadNativeAddon, type KernelPath, type NativeAddon } from '../electron/node/engine/native-addon.ts';
import { INT4_KERNEL_ENV } from '../electron/node/engine/native-backend.ts';
import { INT4_BLOCK } from '../models/int4.ts';
import { ONNX_TYPE } from '../models/model-spec.ts';
import { GraphBuilder } from '../models/onnx-writer.ts';
import { compareKernelsOnModel } from './quire-follow-up.ts';
import { corePeaks, printTable } from './roofline.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1,512' },
    threads: { type: 'string', default: String(availableParallelism()) },
    runs: { type: 'string', default: '6' },
    paths: { type: 'string' },
    model: { type: 'string' },
    tokens: { type: 'string', default: '2048' },
    rounds: { type: 'string', default: '2' },
  },
});

const native = loadNativeAddon();
if (!native.ok) throw new Error(`the native addon is needed: ${native.reason}`);
const addon: NativeAddon = native.addon;
const runs = addon.int4KernelPaths ?? [];
const paths = values.paths ? (values.paths.split(',') as KernelPath[]).filter((p) => runs.includes(p)) : runs;
if (paths.length === 0) console.log('none of the paths of Quire\'s int4 kernel runs on this CPU: only onnxruntime\'s kernel is measured');

// Llama-3.1-8B: [K, N] of the packed QKV, o_proj, gate and up, down_proj.
const SHAPES: [string, number, number][] = [['qkv', 4096, 6144], ['o', 4096, 4096], ['gate/up', 4096, 14336], ['down', 14336, 4096]];
const dir = mkdtempSync(join(tmpdir(), 'quire-int4-kernel-'));
const threads = Number(values.threads);

function nodeModel(K: number, N: number): string {
  const g = new GraphBuilder();
  g.input('a', ONNX_TYPE.FLOAT, ['m', K]);
  const packed = new Uint8Array((N * K) / 2).map((_, i) => (i * 2654435761) >>> 24);
  const scales = new Float32Array((N * K) / INT4_BLOCK).map((_, i) => 0.01 + ((i * 40503) % 997) / 1e5);
  g.initializers.push({ name: 'w', dataType: ONNX_TYPE.UINT8, dims: [N, K / INT4_BLOCK, INT4_BLOCK / 2], rawData: packed });
  g.initializers.push({ name: 's', dataType: ONNX_TYPE.FLOAT, dims: [scales.length], rawData: new Uint8Array(scales.buffer) });
  g.node('MatMulNBits', ['a', 'w', 's'], ['y'], { K, N, bits: 4, block_size: INT4_BLOCK, accuracy_level: 4 }, { domain: 'com.microsoft' });
  g.output('y', ONNX_TYPE.FLOAT, ['m', N]);
  const path = join(dir, `${K}x${N}.onnx`);
  writeFileSync(path, g.encode({ '': 21, 'com.microsoft': 1 }, { producer: 'bench' }));
  return path;
}

// Best seconds of `runs` products of M rows with each kernel (false: onnxruntime's), their runs taken in turn.
async function time(path: string, kernels: (false | KernelPath)[], M: number, K: number): Promise<number[]> {
  const sessions = kernels.map((int4Kernel) => {
    const session = new addon.Session(path, { provider: 'cpu', int4Kernel, intraOpThreads: threads, sessionConfig: { 'session.intra_op.allow_spinning': '0' } });
    session.setInput('a', new Float32Array(M * K).map((_, i) => Math.sin(i)), [M, K], ONNX_TYPE.FLOAT);
    session.bindHostOutput('y');
    return session;
  });
  const best = kernels.map(() => Infinity);
  for (let r = 0; r < Number(values.runs); r++) {
    for (const [k, session] of sessions.entries()) {
      const start = performance.now();
      await session.run();
      best[k] = Math.min(best[k], (performance.now() - start) / 1000);
    }
  }
  for (const session of sessions) session.release();
  return best;
}

if (values.model) {
  await compareKernelsOnModel(values.model, INT4_KERNEL_ENV, { tokens: Number(values.tokens), rounds: Number(values.rounds), threads, dir, paths });
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const peak = corePeaks();
const pathPeak: Record<KernelPath, number> = { avx512: peak.int8, avx2: peak.int8Avx2 };
const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');
const loadBefore = load();
const rows: string[][] = [];
for (const M of values.rows.split(',').map(Number)) {
  for (const [name, K, N] of SHAPES) {
    const [ort, ...ours] = await time(nodeModel(K, N), [false, ...paths], M, K);
    const gops = (s: number) => (2 * M * K * N) / s / 1e9;
    const row = [String(M), name, `${K}×${N}`, (ort * 1e3).toFixed(2), gops(ort).toFixed(0)];
    for (const [i, p] of paths.entries()) {
      row.push((ours[i] * 1e3).toFixed(2), gops(ours[i]).toFixed(0), `${(ort / ours[i]).toFixed(2)}×`, `${((100 * gops(ours[i]) * 1e9) / pathPeak[p]).toFixed(0)} %`);
    }
    rows.push(row);
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`int4 MatMulNBits, ${threads} threads, best of ${values.runs}, runs alternating; load average (1, 5, 15 min) ${loadBefore} before, ${load()} after`);
console.log(`nominal peaks ${peak.described}`);
printTable(['rows', 'matrix', 'K×N', 'onnxruntime ms', 'GOP/s', ...paths.flatMap((p) => [`${p} ms`, 'GOP/s', 'speed-up', '% its int8 peak'])], rows);
