// Quire against llama.cpp (node-llama-cpp, CPU) on real shapes and bit-identical int4 weights: a generated
// Llama-3.2-1B-shaped checkpoint (whole) and Llama-3.1-8B's widths with a few of its 32 layers (figures also
// scaled to 32), converted to Quire int4 and exported from Quire's own blocks to GGUF Q4_0 (`quire export gguf`),
// so both engines run the same values. Per shape, KV type and context: prefill and decode tokens/s with the
// cores each engine actually used, time to first token of a follow-up (Quire from its snapshot in a fresh
// session, llama.cpp re-processing, both from the live cache), peak RSS, the ratio Quire/llama.cpp, the roofline
// (prefill FLOP/s against the cores' peak, decode bytes/token against measured copy bandwidth), and the two
// engines' last-token logits on the same ids (cosine, top-1). Each measurement runs in a child process of its
// own (peak RSS is its own), the engines alternate, and the best of --rounds is kept: on cores shared with
// other work single runs are noise. Installs node-llama-cpp into bench/.peers when missing.
//   node bench/llamacpp.ts [--shapes 1b,8b] [--layers 2] [--contexts 2048] [--kv fp32] [--rounds 2]
//                          [--decode 16] [--chunk 512] [--threads N] [--reprocess on|off] [--isa widest|avx2]
//                          [--dir /tmp/quire-bench-llamacpp]
// --reprocess off leaves out llama.cpp's follow-up after a restart (the document read again: as long as its prefill,
// which at 32K on a 1B shape is a quarter of an hour): its column then reads "not measured".
// --isa avx2 measures both engines as on a CPU without AVX-512 (most desktop ones): Quire's int4 and attention
// kernels on their AVX2 paths, llama.cpp on its AVX2 CPU backend (haswell: AVX2, FMA, F16C) instead of the best
// this CPU runs. onnxruntime's own remaining operators still take what the CPU has.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QuireError } from '../electron/common/errors.ts';
import { loadNativeAddon, type KernelPath } from '../electron/node/engine/native-addon.ts';
import { ATTENTION_KERNEL_ENV, attentionKernelWanted, INT4_KERNEL_ENV, int4KernelWanted } from '../electron/node/engine/native-backend.ts';
import { convertCheckpoint } from '../models/convert.ts';
import { exportGguf } from '../models/gguf.ts';
import { readManifest } from '../models/manifest.ts';
import type { KvDtype } from '../models/model-spec.ts';
import { writeTinyCheckpoint, type TinyCheckpointOptions } from '../models/tiny-checkpoint.ts';
import { installNodeLlamaCpp, loadedCpuVariant, loadLlamaCpp, NODE_LLAMA_CPP_VERSION, type KvType } from './node-llama-cpp.ts';
import { measureFollowUp } from './quire-follow-up.ts';
import { agreement, copyBandwidth, corePeaks, prefillFlops, printTable, seconds } from './roofline.ts';
import { endChild } from './child-exit.ts';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: '1b,8b' },
    // Of Llama-3.1-8B's 32 layers; the figures are also given scaled to 32.
    layers: { type: 'string', default: '2' },
    contexts: { type: 'string', default: '2048' },
    kv: { type: 'string', default: 'fp32' },
    rounds: { type: 'string', default: '2' },
    decode: { type: 'string', default: '16' },
    chunk: { type: 'string', default: '512' },
    // Both engines get the same count. llama.cpp's threads spin at barriers: on cores shared with other work
    // (load above the core count) more threads than free cores can collapse it.
    threads: { type: 'string', default: String(availableParallelism()) },
    flash: { type: 'string', default: 'on' },
    reprocess: { type: 'string', default: 'on' },
    isa: { type: 'string', default: 'widest' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-llamacpp') },
    child: { type: 'string' },
  },
});

const QUESTION = 24;
// Generated checkpoints with the real widths (random bf16 weights, the tiny tokenizer padded to the vocabulary).
const LLAMA3_ROPE = { rope: 'llama3', originalContext: 8192, ropeTheta: 500000, vocabSize: 128256, heads: 32, kvHeads: 8, dtype: 'BF16', shards: 2, demo: false } as const;
const SHAPES: Record<string, (layers: number) => TinyCheckpointOptions> = {
  '1b': () => ({ ...LLAMA3_ROPE, hiddenSize: 2048, intermediateSize: 8192, layers: 16, factor: 32, tied: true }),
  '8b': (layers) => ({ ...LLAMA3_ROPE, hiddenSize: 4096, intermediateSize: 14336, layers, factor: 8 }),
};
const FULL_LAYERS: Record<string, number> = { '1b': 16, '8b': 32 };
// llama.cpp's cache of the same width as Quire's.
const LLAMA_KV: Partial<Record<KvDtype, KvType>> = { fp32: 'F32', fp16: 'F16', int8: 'Q8_0' };
const LLAMA_KV_BYTES: Record<KvType, number> = { F32: 4, F16: 2, Q8_0: 34 / 32 }; // per value (Q8_0: an fp16 scale per 32)

interface Side {
  prefillTps: number;
  prefillCores: number; // CPU seconds per wall second while prefilling
  decodeTps: number;
  ttftFollowUp: number; // Quire: from the snapshot in a fresh session; llama.cpp: document and question re-processed
  ttftLive: number; // the document still in this process's cache
  peakRssMB: number;
  cpuBackend?: string; // llama.cpp: the CPU backend library ggml loaded
}

interface ChildJob {
  engine: 'quire' | 'llama.cpp';
  model: string; // Quire folder or GGUF file
  n: number;
  kv: KvDtype;
  logits: string; // where the last document position's logits go (float32)
}

const decodeSteps = Number(values.decode);
const chunk = Number(values.chunk);
const threads = Number(values.threads);
const doc = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919 + 1) % 500); // ordinary tokens only
const question = Array.from({ length: QUESTION }, (_, i) => (i * 31 + 5) % 500);

// CPU time over wall time of `work`: how many cores an engine really used.
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; cores: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await work();
  const wall = seconds(start);
  const used = process.cpuUsage(cpu);
  return { value, seconds: wall, cores: (used.user + used.system) / 1e6 / wall };
}

async function runQuire(job: ChildJob): Promise<Omit<Side, 'peakRssMB'>> {
  const snapshot = join(values.dir, 'snapshots', `${job.n}.qkv`);
  mkdirSync(join(values.dir, 'snapshots'), { recursive: true });
  const t = await measureFollowUp(job.model, { document: doc(job.n), question, decodeSteps, chunk, snapshot, threads });
  rmSync(snapshot, { force: true });
  writeFileSync(job.logits, t.documentLogits);
  return { prefillTps: job.n / t.prefillSeconds, prefillCores: t.prefillCores, decodeTps: t.decodeTps, ttftFollowUp: t.ttftSnapshot, ttftLive: t.ttftCache };
}

async function runLlamaCpp(job: ChildJob): Promise<Omit<Side, 'peakRssMB'>> {
  const llama = await loadLlamaCpp(values.isa === 'avx2' ? 'haswell' : undefined);
  const model = await llama.loadModel({ modelPath: job.model, gpuLayers: 0 });
  const cpuBackend = loadedCpuVariant();
  const kv = LLAMA_KV[job.kv]!;
  const context = await model.createContext({
    contextSize: job.n + QUESTION + decodeSteps + 1,
    batchSize: chunk,
    threads,
    flashAttention: values.flash === 'on',
    experimentalKvCacheKeyType: kv,
    experimentalKvCacheValueType: kv,
  });
  const seq = context.getSequence();
  const document = doc(job.n);
  const last = (ids: number[]) => [...ids.slice(0, -1), [ids.at(-1)!, { generateNext: { logits: true } }] as [number, { generateNext: { logits: true } }]];
  const prefill = await timed(() => seq.controlledEvaluate(last(document)));
  const logits = prefill.value.at(-1)!.next.logits!;
  writeFileSync(job.logits, Float32Array.from({ length: logits.size }, (_, t) => logits.get(t)!));
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
  await seq.eraseContextTokenRanges([{ start: job.n, end: seq.nextTokenIndex }]);
  const live = await timed(() => seq.controlledEvaluate(last(question)));
  // What llama.cpp does after a restart: the document and the question processed again.
  await seq.clearHistory();
  const again = values.reprocess === 'off' ? { seconds: NaN } : await timed(() => seq.controlledEvaluate(last([...document, ...question])));
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { prefillTps: job.n / prefill.seconds, prefillCores: prefill.cores, decodeTps, ttftFollowUp: again.seconds, ttftLive: live.seconds, cpuBackend };
}

if (values.child) {
  const job = JSON.parse(values.child) as ChildJob;
  const side = job.engine === 'quire' ? await runQuire(job) : await runLlamaCpp(job);
  process.stdout.write(JSON.stringify({ ...side, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
  await endChild();
}

function runChild(job: ChildJob): Side {
  const out = execFileSync(process.execPath, [process.argv[1], ...process.argv.slice(2), '--child', JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  // JSON writes NaN (a follow-up not measured) as null.
  const side = JSON.parse(out) as Side;
  return { ...side, ttftFollowUp: side.ttftFollowUp ?? NaN };
}

// The Quire int4 folder for a shape and cache type, and the Q4_0 GGUF written from its blocks (once per shape:
// the weights do not depend on the cache).
async function prepare(shape: string, layers: number, kv: KvDtype): Promise<{ model: string; gguf: string }> {
  const root = join(values.dir, shape === '8b' ? `8b-${layers}` : shape);
  const hf = join(root, 'hf');
  const model = join(root, `int4-kv-${kv}`);
  const gguf = join(root, 'q4_0.gguf');
  if (!existsSync(join(hf, 'config.json'))) {
    process.stderr.write(`generating the ${shape} checkpoint in ${hf}\n`);
    await writeTinyCheckpoint(hf, SHAPES[shape](layers));
  }
  if (!existsSync(join(model, 'quire.json'))) {
    process.stderr.write(`converting to int4, kv ${kv}\n`);
    await convertCheckpoint(hf, model, { precision: 'int4', kv });
  }
  if (!existsSync(gguf)) {
    const out = await exportGguf(model, gguf, { type: 'Q4_0' });
    const r = out.scaleRounding!;
    process.stderr.write(`exported ${gguf}: scales rounded to fp16 moved weights by at most ${r.maxAbs.toExponential(2)} (mean ${r.meanAbs.toExponential(2)}, at most ${(100 * r.maxRelative).toFixed(3)}% of a block's scale)\n`);
  }
  return { model, gguf };
}

const readF32 = (path: string) => new Float32Array(readFileSync(path).buffer.slice(0));
const best = (runs: Side[]): Side => ({
  prefillTps: Math.max(...runs.map((r) => r.prefillTps)),
  prefillCores: runs.reduce((a, r) => (r.prefillTps > a.prefillTps ? r : a)).prefillCores,
  decodeTps: Math.max(...runs.map((r) => r.decodeTps)),
  ttftFollowUp: Math.min(...runs.map((r) => r.ttftFollowUp)), // NaN where not measured (--reprocess off)
  ttftLive: Math.min(...runs.map((r) => r.ttftLive)),
  peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)),
  cpuBackend: runs[0].cpuBackend,
});

if (!Number.isInteger(threads) || threads < 1) throw new QuireError('USAGE', `--threads wants a positive integer, got ${values.threads}`);
if (values.reprocess !== 'on' && values.reprocess !== 'off') throw new QuireError('USAGE', `--reprocess wants on or off, got ${values.reprocess}`);
if (values.isa !== 'widest' && values.isa !== 'avx2') throw new QuireError('USAGE', `--isa wants widest or avx2, got ${values.isa}`);
// Quire's children take their kernels' paths from the environment they inherit.
if (values.isa === 'avx2') process.env[INT4_KERNEL_ENV] = process.env[ATTENTION_KERNEL_ENV] = 'avx2';
const kvs = values.kv.split(',') as KvDtype[];
for (const kv of kvs) if (!LLAMA_KV[kv]) throw new QuireError('USAGE', `--kv wants fp32, fp16 or int8 (against llama.cpp's F32, F16, Q8_0), got ${kv}`);
const shapes = values.shapes.split(',');
for (const shape of shapes) if (!SHAPES[shape]) throw new QuireError('USAGE', `--shapes wants 1b and/or 8b, got ${shape}`);
const layers8b = Number(values.layers);
const contexts = values.contexts.split(',').map(Number);
installNodeLlamaCpp();

const bandwidth = copyBandwidth();
const peaks = corePeaks();
const loadBefore = loadavg()[0];
// The path each of Quire's CPU kernels takes in its children: what the engine's own choice (int4KernelWanted,
// attentionKernelWanted) asks for, as this CPU runs it (an int8 cache's attention is onnxruntime's whatever is named).
function quireKernels(): string {
  const native = loadNativeAddon();
  if (!native.ok) return `onnxruntime's kernels (${native.reason})`;
  const path = (wanted: boolean | KernelPath, paths: readonly KernelPath[] = []) => {
    const taken = wanted === true ? paths[0] : wanted === false ? undefined : paths.find((p) => p === wanted);
    return taken ?? "onnxruntime's";
  };
  const int4 = path(int4KernelWanted('cpu', { precision: 'int4' }), native.addon.int4KernelPaths);
  const attention = path(attentionKernelWanted('cpu', { kvDtype: 'fp16' }), native.addon.attentionKernelPaths);
  return `int4 kernel ${int4}, attention ${attention} (float caches)`;
}
const cpuBackends = new Set<string>();
const header = ['shape', 'kv', 'context', 'engine', 'prefill tok/s', 'cores', 'GFLOP/s', '% int8 peak', 'decode tok/s', 'decode floor', 'TTFT follow-up s', 'TTFT live s', 'peak RSS MB'];
const table: string[][] = [];
const ratios: string[] = [];
const notes: string[] = [];
for (const shape of shapes) {
  const layers = shape === '8b' ? layers8b : FULL_LAYERS[shape];
  for (const kv of kvs) {
    const { model, gguf } = await prepare(shape, layers, kv);
    const manifest = readManifest(model);
    const c = manifest.config;
    const layerParams = c.numLayers * (c.hiddenSize * (c.numHeads + 2 * c.numKvHeads) * c.headDim + c.numHeads * c.headDim * c.hiddenSize + 3 * c.hiddenSize * c.intermediateSize);
    // Decode reads every weight but the embedding table (one row) once per token, and the valid cache.
    const embeddingBytes = c.vocabSize * c.hiddenSize * 2;
    const weightBytes = statSync(gguf).size - embeddingBytes;
    const kvBytes = { quire: manifest.kvBytesPerToken, 'llama.cpp': 2 * c.numLayers * c.numKvHeads * c.headDim * LLAMA_KV_BYTES[LLAMA_KV[kv]!] };
    for (const n of contexts) {
      const runs: Record<'quire' | 'llama.cpp', Side[]> = { quire: [], 'llama.cpp': [] };
      const logits = { quire: join(values.dir, 'quire.logits'), 'llama.cpp': join(values.dir, 'llama.logits') };
      for (let round = 0; round < Number(values.rounds); round++) {
        const order = round % 2 === 0 ? (['quire', 'llama.cpp'] as const) : (['llama.cpp', 'quire'] as const);
        for (const engine of order) runs[engine].push(runChild({ engine, model: engine === 'quire' ? model : gguf, n, kv, logits: logits[engine] }));
        process.stderr.write(`${shape} kv ${kv} ${n}: round ${round + 1} done (load ${loadavg()[0].toFixed(1)})\n`);
      }
      const sides = { quire: best(runs.quire), 'llama.cpp': best(runs['llama.cpp']) };
      cpuBackends.add(sides['llama.cpp'].cpuBackend ?? 'unknown');
      for (const engine of ['quire', 'llama.cpp'] as const) {
        const s = sides[engine];
        const flops = prefillFlops({ layers: c.numLayers, heads: c.numHeads, headDim: c.headDim }, layerParams, n) / (n / s.prefillTps);
        const floor = bandwidth / (weightBytes + n * kvBytes[engine]);
        table.push([
          shape === '8b' ? `8b ×${layers}` : shape, kv, String(n), engine, s.prefillTps.toFixed(1), s.prefillCores.toFixed(2), (flops / 1e9).toFixed(0),
          (100 * flops / peaks.int8).toFixed(1), s.decodeTps.toFixed(1), floor.toFixed(1), Number.isNaN(s.ttftFollowUp) ? 'not measured' : `${s.ttftFollowUp.toFixed(2)} ${engine === 'quire' ? 'snapshot' : 're-process'}`, s.ttftLive.toFixed(3), s.peakRssMB.toFixed(0),
        ]);
      }
      const q = sides.quire;
      const l = sides['llama.cpp'];
      const agree = agreement(readF32(logits.quire), readF32(logits['llama.cpp']));
      ratios.push(`${shape}${shape === '8b' ? ` ×${layers}` : ''} kv ${kv} ${n}: prefill ${(q.prefillTps / l.prefillTps).toFixed(2)}×, decode ${(q.decodeTps / l.decodeTps).toFixed(2)}×, ${Number.isNaN(l.ttftFollowUp) ? 'follow-up not compared' : `follow-up ${(l.ttftFollowUp / q.ttftFollowUp).toFixed(1)}× sooner`}; logits cosine ${agree.cosine.toFixed(4)}, top-1 ${agree.top1 ? 'same' : 'DIFFERENT'}`);
      if (shape === '8b') {
        const scale = (tps: number) => (1 / (FULL_LAYERS['8b'] / layers / tps)).toFixed(1);
        notes.push(`8b ×${layers} kv ${kv} ${n} scaled to 32 layers (layer time ×${32 / layers}, embedding and head counted as layers): prefill Quire ${scale(q.prefillTps)} / llama.cpp ${scale(l.prefillTps)} tok/s, decode ${scale(q.decodeTps)} / ${scale(l.decodeTps)} tok/s`);
      }
    }
  }
}

console.log(`llama.cpp bench: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, load ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}, ${threads} threads each, best of ${values.rounds} alternated runs`);
console.log(`llama.cpp: node-llama-cpp ${NODE_LLAMA_CPP_VERSION}, CPU backend ${[...cpuBackends].join(', ')}, flash attention ${values.flash}, batch ${chunk}; Quire: ${quireKernels()}, chunk ${chunk}; same Q4_0 weights (quire export gguf)`);
console.log(`roofline: ${peaks.described}; decode floor = copy ${(bandwidth / 1e9).toFixed(1)} GB/s / (weights read per token + N·KV bytes)`);
printTable(header, table);
for (const line of [...ratios, ...notes]) console.log(line);
