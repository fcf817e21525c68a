// Quire's CPU attention (native/src/gqa_attention.cc) against onnxruntime's own GroupQueryAttention, one node of
// Llama-3.1-8B's attention (32 query heads over 8 kv heads of 128) at a time, same session options, same run, for
// an fp16 and an fp32 cache: one decode step at each context, and the prompt's last chunk with the rise of the
// peak RSS while the prompt is read (an fp16 prompt runs Quire's kernel too, an fp32 one onnxruntime's in both).
// The step reads the whole cache once (2 · 8 · context · 128 values); beside it, that read at the copy bandwidth
// measured here. Before each step a buffer larger than the last-level cache is written, so the step reads its cache
// from memory, as it does in a model whose weights pass through the caches between two attention layers. Each path
// of Quire's kernel this CPU runs gets its columns (AVX-512 and AVX2 on an AVX-512 CPU; --paths picks).
// With --model, a converted model instead: a document's prefill and decode with each kernel in turn.
//   node bench/attention-kernel.ts [--contexts 2048,8192,32768] [--io fp16,fp32] [--paths avx512,avx2] [--threads N] [--runs 8]
//   node bench/attention-kernel.ts --model <model dir> [--tokens 8192] [--rounds 2]
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadNativeAddon, type KernelPath } from '../electron/node/engine/native-addon.ts';
import { ATTENTION_KERNEL_ENV } from '../electron/node/engine/native-backend.ts';
import { gqaNode, type GqaIo, type GqaShape } from '../test/fixtures/gqa-node.ts';
import { compareKernelsOnModel } from './quire-follow-up.ts';
import { copyBandwidth, printTable } from './roofline.ts';

const { values } = parseArgs({
  options: {
    contexts: { type: 'string', default: '2048,8192,32768' },
    io: { type: 'string', default: 'fp16,fp32' },
    threads: { type: 'string', default: String(availableParallelism()) },
    runs: { type: 'string', default: '8' },
    paths: { type: 'string' },
    model: { type: 'string' },
    tokens: { type: 'string', default: '8192' },
    rounds: { type: 'string', default: '2' },
  },
});

const native = loadNativeAddon();
if (!native.ok) throw new Error(`the native addon is needed: ${native.reason}`);
const addon = native.addon;
const runs = addon.attentionKernelPaths ?? [];
const paths = values.paths ? (values.paths.split(',') as KernelPath[]).filter((p) => runs.includes(p)) : runs;
if (paths.length === 0) console.log('none of the paths of Quire\'s attention runs on this CPU: only onnxruntime\'s kernel is measured');
const dir = mkdtempSync(join(tmpdir(), 'quire-attention-kernel-'));
const threads = Number(values.threads);

if (values.model) {
  await compareKernelsOnModel(values.model, ATTENTION_KERNEL_ENV, { tokens: Number(values.tokens), rounds: Number(values.rounds), threads, dir });
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const PROMPT_CHUNK = 512;
// Larger than any server CPU's last-level cache (260 MB on the machine of docs/benchmarks.md).
const evict = Buffer.alloc(512 * 2 ** 20);

interface Timing {
  // The prompt's last chunk (512 tokens at the end of the context), and how far the process's peak RSS rose
  // while the prompt was read: what a chunk's scratch holds at that context.
  chunk: number;
  peakRiseMB: number;
  // Best of --runs decode steps at the last position.
  decode: number;
}

// The cache is first filled by a prompt in chunks of 512 (a cache left as allocated would be untouched zero pages,
// which read from one physical page at cache speed); then decode steps at the last position of a cache of
// `context` rows.
async function measure(s: GqaShape, kernel: KernelPath | false, context: number): Promise<Timing> {
  const node = gqaNode(addon, s, dir, { kernel, capacity: context, positions: context, threads });
  const width = (s.heads + 2 * s.kvHeads) * s.headDim;
  const peakBefore = process.resourceUsage().maxRSS;
  let chunk = 0;
  try {
    for (let past = 0; past < context - 1; past += PROMPT_CHUNK) {
      const n = Math.min(PROMPT_CHUNK, context - 1 - past);
      const start = performance.now();
      await node.step(Float32Array.from({ length: n * width }, (_, i) => Math.sin(past + i)), n, past);
      chunk = (performance.now() - start) / 1000;
    }
    const peakRiseMB = (process.resourceUsage().maxRSS - peakBefore) / 1024;
    node.prepare(Float32Array.from({ length: width }, (_, i) => Math.sin(i)), 1, context - 1);
    let decode = Infinity;
    for (let r = 0; r < Number(values.runs); r++) {
      evict.fill(r);
      const start = performance.now();
      await node.session.run();
      decode = Math.min(decode, (performance.now() - start) / 1000);
    }
    return { chunk, peakRiseMB, decode };
  } finally {
    node.release();
  }
}
const bandwidth = copyBandwidth();
console.log(`Llama-3.1-8B attention, one layer's decode step; ${threads} threads, best of ${values.runs}; copy bandwidth ${(bandwidth / 1e9).toFixed(1)} GB/s`);
const rows: string[][] = [];
const prompt: string[][] = [];
for (const io of values.io.split(',') as GqaIo[]) {
  const s: GqaShape = { heads: 32, kvHeads: 8, headDim: 128, io };
  for (const context of values.contexts.split(',').map(Number)) {
    // Quire's first: the process's peak only rises, so the larger scratch must come second to be seen.
    const ours: Timing[] = [];
    for (const path of paths) ours.push(await measure(s, path, context));
    const theirs = await measure(s, false, context);
    const bytes = 2 * s.kvHeads * context * s.headDim * (io === 'fp16' ? 2 : 4);
    const best = Math.min(...ours.map((t) => t.decode));
    rows.push([io, String(context), (theirs.decode * 1e3).toFixed(2), ...ours.flatMap((t) => [(t.decode * 1e3).toFixed(2), `${(theirs.decode / t.decode).toFixed(2)}×`]), (bytes / best / 1e9).toFixed(1), ((bytes / bandwidth) * 1e3).toFixed(2)]);
    prompt.push([io, String(context), (theirs.chunk * 1e3).toFixed(0), ...ours.map((t) => (t.chunk * 1e3).toFixed(0)), theirs.peakRiseMB.toFixed(0), ...ours.map((t) => t.peakRiseMB.toFixed(0))]);
  }
}
console.log('decode step');
printTable(['cache', 'context', 'onnxruntime ms', ...paths.flatMap((p) => [`quire ${p} ms`, 'speed-up']), 'quire GB/s read', 'the cache at copy bandwidth, ms'], rows);
console.log(`the prompt's last ${PROMPT_CHUNK}-token chunk, and the rise of the peak RSS while the prompt is read`);
printTable(['cache', 'context', 'onnxruntime ms', ...paths.map((p) => `quire ${p} ms`), 'onnxruntime peak rise MB', ...paths.map((p) => `quire ${p} peak rise MB`)], prompt);
rmSync(dir, { recursive: true, force: true });
