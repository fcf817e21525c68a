// Quire's decode attention (native/src/gqa_decode.cc) against onnxruntime's own GroupQueryAttention, one node of
// Llama-3.1-8B's attention (32 query heads over 8 kv heads of 128) at a time, same session options, same run: the
// time of one decode step at each context, for an fp16 and an fp32 cache, beside the memory floor (the step reads
// the whole cache once: 2 · 8 · context · 128 values, at the copy bandwidth measured here). Before each step a
// buffer larger than the last-level cache is written, so the step reads its cache from memory, as it does in a
// model whose weights pass through the caches between two attention layers.
// With --model, a converted model instead: a document's prefill and decode with each kernel in turn.
//   node bench/attention-kernel.ts [--contexts 2048,8192,32768] [--io fp16,fp32] [--threads N] [--runs 8]
//   node bench/attention-kernel.ts --model <model dir> [--tokens 8192] [--rounds 2]
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadNativeAddon } from '../electron/node/engine/native-addon.ts';
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
    model: { type: 'string' },
    tokens: { type: 'string', default: '8192' },
    rounds: { type: 'string', default: '2' },
  },
});

const native = loadNativeAddon();
if (!native.ok) throw new Error(`the native addon is needed: ${native.reason}`);
const addon = native.addon;
if (!addon.attentionKernel) console.log('this CPU lacks AVX-512: both columns are onnxruntime\'s kernel');
const dir = mkdtempSync(join(tmpdir(), 'quire-attention-kernel-'));
const threads = Number(values.threads);
// Larger than any server CPU's last-level cache (260 MB on the machine of docs/benchmarks.md).
const evict = Buffer.alloc(512 * 2 ** 20);

// Best seconds of --runs decode steps at the last position of a cache of `context` rows. The step's time does not
// depend on the cached values, so the cache is left as allocated (zeros) rather than filled by a prompt.
async function decodeStep(s: GqaShape, kernel: boolean, context: number): Promise<number> {
  const node = gqaNode(addon, s, dir, { kernel, capacity: context, positions: context, threads });
  const width = (s.heads + 2 * s.kvHeads) * s.headDim;
  node.prepare(Float32Array.from({ length: width }, (_, i) => Math.sin(i)), 1, context - 1);
  let best = Infinity;
  try {
    for (let r = 0; r < Number(values.runs); r++) {
      evict.fill(r);
      const start = performance.now();
      await node.session.run();
      best = Math.min(best, (performance.now() - start) / 1000);
    }
  } finally {
    node.release();
  }
  return best;
}

if (values.model) {
  await compareKernelsOnModel(values.model, ATTENTION_KERNEL_ENV, { tokens: Number(values.tokens), rounds: Number(values.rounds), threads, dir });
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const bandwidth = copyBandwidth();
console.log(`Llama-3.1-8B attention, one layer's decode step; ${threads} threads, best of ${values.runs}; copy bandwidth ${(bandwidth / 1e9).toFixed(1)} GB/s`);
const rows: string[][] = [];
for (const io of values.io.split(',') as GqaIo[]) {
  const s: GqaShape = { heads: 32, kvHeads: 8, headDim: 128, io };
  for (const context of values.contexts.split(',').map(Number)) {
    const [theirs, ours] = [await decodeStep(s, false, context), await decodeStep(s, true, context)];
    const bytes = 2 * s.kvHeads * context * s.headDim * (io === 'fp16' ? 2 : 4);
    rows.push([io, String(context), (theirs * 1e3).toFixed(2), (ours * 1e3).toFixed(2), `${(theirs / ours).toFixed(2)}×`, (bytes / ours / 1e9).toFixed(1), ((bytes / bandwidth) * 1e3).toFixed(2)]);
  }
}
printTable(['cache', 'context', 'onnxruntime ms', 'quire ms', 'speed-up', 'quire GB/s read', 'floor ms'], rows);
rmSync(dir, { recursive: true, force: true });
