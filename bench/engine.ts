// Engine throughput on CPU with a small-but-not-trivial generated model (4 layers, hidden 256, 4/2 heads of 64,
// vocab 8192, fp32): prefill and decode tokens/s per context, KV bytes per token, time to first token of a
// follow-up question from the live cache, from a snapshot (fresh process state) and with neither, the
// onnxruntime-node fallback's decode for comparison, and achieved FLOP/s and bytes/s against the roofline
// arithmetic of docs/design.md §3. Prints a table and writes bench/out/engine.svg.
//   node bench/engine.ts [--contexts 1024,2048,4096,8192,16384] [--decode 32] [--dir /tmp/quire-bench-engine]
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../models/convert.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import { loadNativeAddon } from '../electron/node/engine/native-addon.ts';
import { measureFollowUp } from './quire-follow-up.ts';
import { copyBandwidth, eightBEstimate, logLogSvg, prefillFlops, printTable, seconds } from './roofline.ts';

const { values } = parseArgs({
  options: {
    contexts: { type: 'string', default: '1024,2048,4096,8192,16384' },
    decode: { type: 'string', default: '32' },
    chunk: { type: 'string', default: '512' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-engine') },
  },
});

const SHAPE = { hiddenSize: 256, intermediateSize: 704, layers: 4, heads: 4, kvHeads: 2, vocabSize: 8192, originalContext: 4096, factor: 16 };
const QUESTION = 24;
const decodeSteps = Number(values.decode);
const chunk = Number(values.chunk);
const contexts = values.contexts.split(',').map(Number);

const model = join(values.dir, 'model');
if (!existsSync(join(model, 'quire.json'))) {
  await writeTinyCheckpoint(join(values.dir, 'hf'), SHAPE);
  await convertCheckpoint(join(values.dir, 'hf'), model, { precision: 'fp32' });
}
const native = loadNativeAddon();
const doc = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919 + 1) % SHAPE.vocabSize);
const question = Array.from({ length: QUESTION }, (_, i) => (i * 31 + 5) % SHAPE.vocabSize);

interface Row {
  context: number;
  prefillTps: number;
  decodeTps: number;
  fallbackDecodeTps: number;
  ttftCache: number;
  ttftSnapshot: number;
  ttftNone: number;
  snapshotMB: number;
  prefillGflops: number;
  decodeGBs: number;
}

const probe = await EngineSession.load(model, { context: 16 });
const { dims } = probe.model;
const kvPerToken = probe.report.kvBytesPerToken;
const weightBytes = dims.weightBytes;
await probe.release();
const params = weightBytes / 4;
const bandwidth = copyBandwidth();

const rows: Row[] = [];
for (const n of contexts) {
  const capacity = n + QUESTION + decodeSteps + 1;
  const snapshot = join(values.dir, 'snapshots', `doc-${n}.qkv`);

  const { prefillSeconds, ttftNone, ttftCache, ttftSnapshot, decodeTps } = await measureFollowUp(model, { document: doc(n), question, decodeSteps, chunk, snapshot });
  let start: number;

  let fallbackDecodeTps = Number.NaN;
  if (native.ok) {
    const c = await EngineSession.load(model, { context: capacity, path: 'onnxruntime-node' });
    await c.restoreSnapshot(snapshot);
    await c.prefill(question);
    start = performance.now();
    const steps = Math.min(8, decodeSteps);
    await c.generate({ maxNewTokens: steps + 1, sampling: { greedy: true } });
    fallbackDecodeTps = steps / seconds(start);
    await c.release();
  }

  rows.push({
    context: n,
    prefillTps: n / prefillSeconds,
    decodeTps,
    fallbackDecodeTps,
    ttftCache,
    ttftSnapshot,
    ttftNone,
    snapshotMB: statSync(snapshot).size / 1e6,
    prefillGflops: prefillFlops(dims, params, n) / prefillSeconds / 1e9,
    decodeGBs: ((weightBytes + n * kvPerToken) * decodeTps) / 1e9,
  });
  process.stderr.write(`context ${n} done\n`);
}

const header = ['context', 'prefill tok/s', 'decode tok/s', 'fallback decode tok/s', 'TTFT cache s', 'TTFT snapshot s', 'TTFT none s', 'snapshot MB', 'prefill GFLOP/s', 'decode GB/s'];
const table = rows.map((r) => [
  String(r.context),
  r.prefillTps.toFixed(0),
  r.decodeTps.toFixed(1),
  Number.isNaN(r.fallbackDecodeTps) ? 'n/a' : r.fallbackDecodeTps.toFixed(1),
  r.ttftCache.toFixed(3),
  r.ttftSnapshot.toFixed(3),
  r.ttftNone.toFixed(2),
  r.snapshotMB.toFixed(1),
  r.prefillGflops.toFixed(1),
  r.decodeGBs.toFixed(2),
]);
const path = native.ok ? `native (onnxruntime ${native.ortVersion})` : `onnxruntime-node (${native.reason})`;
console.log(`engine bench: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, path ${path}, cpu provider`);
console.log(`model: ${dims.layers} layers, hidden ${dims.hiddenSize}, ${dims.heads}/${dims.kvHeads} heads × ${dims.headDim}, vocab ${dims.vocabSize}, ${(weightBytes / 1e6).toFixed(1)} MB fp32 weights; KV ${kvPerToken} B/token fp32`);
console.log(`roofline: memcpy bandwidth ${(bandwidth / 1e9).toFixed(1)} GB/s ⇒ decode floor (weights + KV at the largest context) ${(bandwidth / (weightBytes + contexts.at(-1)! * kvPerToken)).toFixed(0)} tok/s`);
printTable(header, table);
console.log(eightBEstimate(Math.max(...rows.map((r) => r.prefillGflops)), bandwidth));
console.log('node-llama-cpp on the same weights as GGUF: bench/llamacpp.ts.');

const svg = logLogSvg(contexts, [
  { name: 'prefill tok/s', color: '#1f77b4', values: rows.map((r) => r.prefillTps) },
  { name: 'decode tok/s', color: '#d62728', values: rows.map((r) => r.decodeTps) },
  { name: 'fallback decode tok/s', color: '#ff7f0e', values: rows.map((r) => r.fallbackDecodeTps) },
], 'context (tokens)');
mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'out', 'engine.svg'), svg);
console.log('plot: bench/out/engine.svg');
