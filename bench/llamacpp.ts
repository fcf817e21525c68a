// Quire against llama.cpp (node-llama-cpp, CPU) in one run, on the same generated weights: the checkpoint is
// converted to Quire's ONNX folder and exported to GGUF, both fp32 with an fp32 KV cache by default. Per context:
// prefill and decode tokens/s, time to first token of a follow-up question (Quire from its document snapshot in
// a fresh session, llama.cpp re-processing document and question, and llama.cpp reusing its live cache), KV
// bytes per token, and achieved FLOP/s against the roofline arithmetic of docs/design.md §3. Installs node-llama-cpp
// into bench/.peers when missing. Prints a table and writes bench/out/llamacpp.svg.
//   node bench/llamacpp.ts [--contexts 1024,4096,16384] [--decode 32] [--threads N] [--llama-kv F32|F16] [--dir /tmp/quire-bench-llamacpp]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QuireError } from '../electron/common/errors.ts';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import { convertCheckpoint } from '../models/convert.ts';
import { exportGguf } from '../models/gguf.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';
import { installNodeLlamaCpp, loadLlamaCpp, NODE_LLAMA_CPP_VERSION, type KvType } from './node-llama-cpp.ts';
import { measureFollowUp } from './quire-follow-up.ts';
import { copyBandwidth, eightBEstimate, logLogSvg, prefillFlops, printTable, seconds } from './roofline.ts';

const { values } = parseArgs({
  options: {
    contexts: { type: 'string', default: '1024,4096,16384' },
    decode: { type: 'string', default: '32' },
    chunk: { type: 'string', default: '512' },
    'llama-kv': { type: 'string', default: 'F32' },
    // Both engines get the same count. llama.cpp's threads spin at barriers: on cores shared with other work
    // (load above the core count) more than one thread collapses it (2.2 vs 93 decode tok/s measured here).
    threads: { type: 'string', default: String(availableParallelism()) },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-llamacpp') },
  },
});

// Vocabulary of the tiny tokenizer, so the GGUF carries a real tokenizer; YaRN ×16 over a 4K original context.
const SHAPE = { hiddenSize: 256, intermediateSize: 704, layers: 4, heads: 4, kvHeads: 2, originalContext: 4096, factor: 16 };
const QUESTION = 24;
const decodeSteps = Number(values.decode);
const chunk = Number(values.chunk);
const contexts = values.contexts.split(',').map(Number);
const llamaKv = values['llama-kv'] as KvType;
if (llamaKv !== 'F32' && llamaKv !== 'F16') throw new QuireError('USAGE', `--llama-kv must be F32 or F16, got ${llamaKv}`);
const threads = Number(values.threads);

installNodeLlamaCpp();
const hf = join(values.dir, 'hf');
const model = join(values.dir, 'model');
const gguf = join(values.dir, 'model-f32.gguf');
if (!existsSync(join(model, 'quire.json'))) {
  await writeTinyCheckpoint(hf, SHAPE);
  await convertCheckpoint(hf, model, { precision: 'fp32' });
}
if (!existsSync(gguf)) await exportGguf(model, gguf, { type: 'F32' });

const probe = await EngineSession.load(model, { context: 16 });
const { dims } = probe.model;
const kvQuire = probe.report.kvBytesPerToken;
await probe.release();
const V = dims.vocabSize;
const kvLlama = 2 * dims.layers * dims.kvHeads * dims.headDim * (llamaKv === 'F32' ? 4 : 2);
const weightBytes = dims.weightBytes;
const params = weightBytes / 4;
const bandwidth = copyBandwidth();
// Ordinary tokens only (below the specials), so neither engine meets an end-of-turn it might treat specially.
const doc = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919 + 1) % 500);
const question = Array.from({ length: QUESTION }, (_, i) => (i * 31 + 5) % 500);

interface Side {
  prefillTps: number;
  decodeTps: number;
  ttftFollowUp: number; // Quire: from the snapshot; llama.cpp: document and question re-processed
  ttftLive: number; // the document still in this process's cache
}

async function runQuire(n: number): Promise<Side> {
  const snapshot = join(values.dir, 'snapshots', `doc-${n}.qkv`);
  const t = await measureFollowUp(model, { document: doc(n), question, decodeSteps, chunk, snapshot, threads });
  return { prefillTps: n / t.prefillSeconds, decodeTps: t.decodeTps, ttftFollowUp: t.ttftSnapshot, ttftLive: t.ttftCache };
}

const llama = await loadLlamaCpp();
const llamaModel = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
let flashAttention = false;

async function runLlamaCpp(n: number): Promise<Side> {
  const capacity = n + QUESTION + decodeSteps + 1;
  const context = await llamaModel.createContext({
    contextSize: capacity,
    batchSize: chunk,
    threads,
    experimentalKvCacheKeyType: llamaKv,
    experimentalKvCacheValueType: llamaKv,
  });
  flashAttention = context.flashAttention;
  const seq = context.getSequence();
  let start = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(doc(n));
  const prefillSeconds = seconds(start);
  await seq.evaluateWithoutGeneratingNewTokens(question.slice(0, -1));
  // The first token comes from the question's last position, the rest are decode steps, as in Quire's generate.
  let produced = 0;
  let decodeStart = 0;
  for await (const _token of seq.evaluate(question.slice(-1), { temperature: 0 })) {
    if (++produced === 1) decodeStart = performance.now();
    if (produced === decodeSteps + 1) break;
  }
  const decodeTps = decodeSteps / seconds(decodeStart);
  // Follow-up with the document still cached: drop the answer and the question, evaluate a new question.
  await seq.eraseContextTokenRanges([{ start: n, end: seq.nextTokenIndex }]);
  start = performance.now();
  await seq.controlledEvaluate([...question.slice(0, -1), [question.at(-1)!, { generateNext: { logits: true } }]]);
  const ttftLive = seconds(start);
  // What llama.cpp does after a restart: the document and the question processed again.
  await seq.clearHistory();
  start = performance.now();
  await seq.controlledEvaluate([...doc(n), ...question.slice(0, -1), [question.at(-1)!, { generateNext: { logits: true } }]]);
  const ttftFollowUp = seconds(start);
  await context.dispose();
  return { prefillTps: n / prefillSeconds, decodeTps, ttftFollowUp, ttftLive };
}

const rows: { n: number; quire: Side; cpp: Side }[] = [];
for (const n of contexts) {
  rows.push({ n, quire: await runQuire(n), cpp: await runLlamaCpp(n) });
  process.stderr.write(`context ${n} done\n`);
}
await llamaModel.dispose();
await llama.dispose();

const gflops = (n: number, tps: number) => (prefillFlops(dims, params, n) / (n / tps) / 1e9).toFixed(1);
const decodeFloor = (n: number, kv: number) => (bandwidth / (weightBytes + n * kv)).toFixed(0);
const header = [
  'context',
  'engine',
  'prefill tok/s',
  'prefill GFLOP/s',
  'decode tok/s',
  'decode floor tok/s',
  'TTFT follow-up s',
  'TTFT live cache s',
  'KV B/token',
];
const table = rows.flatMap(({ n, quire, cpp }) => [
  [String(n), 'quire', quire.prefillTps.toFixed(0), gflops(n, quire.prefillTps), quire.decodeTps.toFixed(1), decodeFloor(n, kvQuire), `${quire.ttftFollowUp.toFixed(3)} snapshot`, quire.ttftLive.toFixed(3), String(kvQuire)],
  [String(n), 'llama.cpp', cpp.prefillTps.toFixed(0), gflops(n, cpp.prefillTps), cpp.decodeTps.toFixed(1), decodeFloor(n, kvLlama), `${cpp.ttftFollowUp.toFixed(3)} re-process`, cpp.ttftLive.toFixed(3), String(kvLlama)],
]);
console.log(`llama.cpp bench: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()} (load ${loadavg()[0].toFixed(1)}), ${threads} threads each; Quire ${probe.report.reason}`);
console.log(`llama.cpp: node-llama-cpp ${NODE_LLAMA_CPP_VERSION} (${llama.buildType} binaries, cpu), KV ${llamaKv}, flash attention ${flashAttention ? 'on' : 'off'}, batch ${chunk}`);
console.log(`model: ${dims.layers} layers, hidden ${dims.hiddenSize}, ${dims.heads}/${dims.kvHeads} heads × ${dims.headDim}, vocab ${V}, ${(weightBytes / 1e6).toFixed(1)} MB fp32 weights (same values in ${gguf})`);
console.log(`roofline (docs/design.md §3): prefill FLOPs = 2·params·N + 2·layers·heads·headDim·N²; decode floor = memcpy ${(bandwidth / 1e9).toFixed(1)} GB/s / (weights + N·KV bytes)`);
printTable(header, table);
console.log(eightBEstimate(Math.max(...rows.map(({ n, quire, cpp }) => Math.max(Number(gflops(n, quire.prefillTps)), Number(gflops(n, cpp.prefillTps))))), bandwidth));

const svg = logLogSvg(contexts, [
  { name: 'Quire prefill tok/s', color: '#1f77b4', values: rows.map((r) => r.quire.prefillTps) },
  { name: 'llama.cpp prefill tok/s', color: '#1f77b4', dashed: true, values: rows.map((r) => r.cpp.prefillTps) },
  { name: 'Quire decode tok/s', color: '#d62728', values: rows.map((r) => r.quire.decodeTps) },
  { name: 'llama.cpp decode tok/s', color: '#d62728', dashed: true, values: rows.map((r) => r.cpp.decodeTps) },
  { name: 'decode floor (Quire KV)', color: '#7f7f7f', dashed: true, values: rows.map((r) => Number(decodeFloor(r.n, kvQuire))) },
], 'context (tokens)');
mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'out', 'llamacpp.svg'), svg);
console.log('plot: bench/out/llamacpp.svg');
