// Quire's decode attention (native/src/gqa_decode.cc) against onnxruntime's own GroupQueryAttention, one node of
// Llama-3.1-8B's attention (32 query heads over 8 kv heads of 128) at a time, same session options, same run: the
// time of one decode step at each context, for an fp16 and an fp32 cache, beside the memory floor (the step reads
// the whole cache once: 2 · 8 · context · 128 values, at the copy bandwidth measured here).
//   node bench/attention-kernel.ts [--contexts 2048,8192,32768] [--io fp16,fp32] [--threads N] [--runs 8]
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadNativeAddon } from '../electron/node/engine/native-addon.ts';
import { gqaNode, type GqaIo, type GqaShape } from '../test/fixtures/gqa-node.ts';
import { copyBandwidth, printTable } from './roofline.ts';

const { values } = parseArgs({
  options: {
    contexts: { type: 'string', default: '2048,8192,32768' },
    io: { type: 'string', default: 'fp16,fp32' },
    threads: { type: 'string', default: String(availableParallelism()) },
    runs: { type: 'string', default: '8' },
  },
});

const native = loadNativeAddon();
if (!native.ok) throw new Error(`the native addon is needed: ${native.reason}`);
const addon = native.addon;
if (!addon.attentionKernel) console.log('this CPU lacks AVX-512: both columns are onnxruntime\'s kernel');
const dir = mkdtempSync(join(tmpdir(), 'quire-attention-kernel-'));
const threads = Number(values.threads);

// Best seconds of --runs decode steps at the last position of a cache of `context` rows. The step's time does not
// depend on the cached values, so the cache is left as allocated (zeros) rather than filled by a prompt.
async function decodeStep(s: GqaShape, kernel: boolean, context: number): Promise<number> {
  const node = gqaNode(addon, s, dir, { kernel, capacity: context, positions: context, threads });
  const width = (s.heads + 2 * s.kvHeads) * s.headDim;
  node.prepare(Float32Array.from({ length: width }, (_, i) => Math.sin(i)), 1, context - 1);
  let best = Infinity;
  try {
    for (let r = 0; r < Number(values.runs); r++) {
      const start = performance.now();
      await node.session.run();
      best = Math.min(best, (performance.now() - start) / 1000);
    }
  } finally {
    node.release();
  }
  return best;
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
