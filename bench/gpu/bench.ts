// The GPU kit's engine bench (bench/gpu/run.sh): an 8B-shaped checkpoint with random weights — Llama-3.1-8B's
// hidden size 4096, 32/8 heads of 128, FFN 14336, vocab 128256, YaRN to 256K — but only a few layers, written
// and converted on the machine by the project's own generator and converter. Per provider: prefill tokens/s at
// each context, decode tokens/s, a follow-up question's time to first token with nothing cached, from the live
// cache and from the snapshot in a fresh session, and peak device memory (nvidia-smi sampling) against the
// memory planner. Figures are measured on the few layers and also scaled to 32 layers (prefill and TTFT by
// layer count; decode by bytes read per token). The last logits of a shared prompt are written for
// peer.py's cosine against PyTorch. Writes JSON.
//   node bench/gpu/bench.ts --providers webgpu [--dry] [--layers 2] [--contexts 8192,32768,131072]
//     [--decode 32] [--precision fp16] [--budget 300] [--dir /tmp/quire-gpu-bench] [--out bench.json]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../../models/convert.ts';
import { writeTinyCheckpoint, type TinyCheckpointOptions } from '../../models/tiny-checkpoint.ts';
import { DEFAULT_PREFILL_CHUNK, EngineSession, type LoadOptions } from '../../electron/node/engine/engine-session.ts';
import { planFit } from '../../electron/node/engine/memory-planner.ts';

type ModelDims = Parameters<typeof planFit>[0];
type KvDtype = Parameters<typeof planFit>[1];

const { values } = parseArgs({
  options: {
    providers: { type: 'string', default: 'webgpu' },
    dry: { type: 'boolean', default: false },
    layers: { type: 'string' },
    contexts: { type: 'string' },
    decode: { type: 'string' },
    question: { type: 'string' },
    chunk: { type: 'string' },
    precision: { type: 'string' },
    // Tried for a provider on which the first precision's model does not load (a missing device feature, say).
    'fallback-precision': { type: 'string' },
    budget: { type: 'string', default: '300' },
    prompt: { type: 'string' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-gpu-bench') },
    out: { type: 'string' },
    'prepare-only': { type: 'boolean', default: false },
  },
});

const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const seconds = (t: number) => (performance.now() - t) / 1000;
const budget = Number(values.budget);
const dry = values.dry;
const TARGET_LAYERS = 32;
// Llama-3.1-8B's shape; the dry run keeps head_dim 128 and the 4:1 GQA ratio at toy width.
const SHAPE: TinyCheckpointOptions = dry
  ? { hiddenSize: 512, intermediateSize: 1792, heads: 4, kvHeads: 1, vocabSize: 4096 }
  : { hiddenSize: 4096, intermediateSize: 14336, heads: 32, kvHeads: 8, vocabSize: 128256 };
const layers = Number(values.layers ?? 2);
// The dry run's WebGPU is SwiftShader on a shared CPU: tens of tokens per second.
const contexts = (values.contexts ?? (dry ? '64,128' : '8192,32768,131072')).split(',').map(Number);
const decodeSteps = Number(values.decode ?? (dry ? 4 : 32));
const questionLength = Number(values.question ?? (dry ? 8 : 24));
const promptLength = Number(values.prompt ?? (dry ? 32 : 1024));
type Precision = 'fp32' | 'fp16' | 'int4';
// fp32 in the dry run: SwiftShader has no shader-f16.
const precision = (values.precision ?? (dry ? 'fp32' : 'fp16')) as Precision;
const fallbackPrecision = (values['fallback-precision'] ?? (dry ? '' : 'int4')) as Precision | '';
const providers = values.providers.split(',').filter(Boolean);
const capacity = Math.max(...contexts) + questionLength + decodeSteps + 1;
const log = (line: string) => process.stdout.write(`${line}\n`);

// --- GPU memory sampling (nvidia-smi, 100 ms) -------------------------------------------------------------
interface Sample { t: number; usedMiB: number }
class MemorySampler {
  samples: Sample[] = [];
  totalMiB = Number.NaN;
  available = false;
  private child: ChildProcess | null = null;
  start(): void {
    const probe = spawnSync('nvidia-smi', ['--query-gpu=memory.used,memory.total', '--format=csv,noheader,nounits'], { encoding: 'utf8' });
    if (probe.status !== 0 || !probe.stdout) return;
    this.totalMiB = Number(probe.stdout.split('\n')[0].split(',')[1]);
    this.available = true;
    this.child = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-lms', '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let rest = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) this.samples.push({ t: performance.now(), usedMiB: Number(l.split(',')[0]) });
    });
    this.child.on('error', () => (this.available = false));
  }
  now(): number {
    return this.samples.at(-1)?.usedMiB ?? Number.NaN;
  }
  // nvidia-smi can take a second to print its first line in a VM: the baseline waits for it.
  async ready(timeoutMs: number): Promise<void> {
    for (const end = performance.now() + timeoutMs; this.available && !this.samples.length && performance.now() < end; ) await sleep(50);
  }
  peak(from: number, to = performance.now()): number {
    let m = Number.NaN;
    for (const s of this.samples) if (s.t >= from && s.t <= to + 150 && !(s.usedMiB <= m)) m = s.usedMiB;
    return m;
  }
  stop(): void {
    this.child?.kill();
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

// --- model ------------------------------------------------------------------------------------------------
const hf = join(values.dir, `hf-${dry ? 'dry' : '8b'}-${layers}l`);
const modelFor = (p: Precision) => join(values.dir, `quire-${dry ? 'dry' : '8b'}-${layers}l-${p}`);
const model = modelFor(precision);
const prepared: Record<string, number> = {};
// A marker written after the last byte: a checkpoint cut short (a stage stopped at its limit) is written again.
if (!existsSync(`${hf}.complete`)) {
  const t = performance.now();
  rmSync(hf, { recursive: true, force: true });
  await writeTinyCheckpoint(hf, { ...SHAPE, layers, rope: 'yarn', originalContext: 8192, factor: 32, ropeTheta: 500000, dtype: 'BF16', seed: 8 });
  writeFileSync(`${hf}.complete`, '');
  prepared.checkpointSeconds = seconds(t);
  log(`checkpoint: ${hf} in ${prepared.checkpointSeconds.toFixed(1)} s`);
}
if (!existsSync(join(model, 'quire.json'))) {
  const t = performance.now();
  await convertCheckpoint(hf, model, { precision, context: capacity });
  prepared.convertSeconds = seconds(t);
  log(`converted: ${model} (${precision}) in ${prepared.convertSeconds.toFixed(1)} s`);
}
const preparedFile = `${model}.prepared.json`;
if (Object.keys(prepared).length) writeFileSync(preparedFile, JSON.stringify(prepared));
else if (existsSync(preparedFile)) Object.assign(prepared, JSON.parse(readFileSync(preparedFile, 'utf8')));
if (values['prepare-only']) process.exit(0);

const doc = (n: number) => Array.from({ length: n }, (_, i) => ((i * 7919 + 1) % (SHAPE.vocabSize! - 300)) + 256);
const question = Array.from({ length: questionLength }, (_, i) => ((i * 31 + 5) % 1000) + 300);
const prompt = Array.from({ length: promptLength }, (_, i) => ((i * 104729 + 17) % (SHAPE.vocabSize! - 300)) + 256);

interface ContextRow {
  context: number;
  prefillSeconds?: number;
  prefillTps?: number;
  decodeTps?: number;
  ttftNone?: number;
  ttftCache?: number;
  ttftSnapshot?: number;
  snapshotSaveSeconds?: number;
  snapshotMB?: number;
  peakMiB?: number;
  plannedMiB?: number;
  errors: string[];
  skipped?: string;
}
interface ProviderResult {
  provider: string;
  precision: Precision;
  // Why the first precision was not used, where the fallback ran instead.
  note?: string;
  reason?: string;
  loadSeconds?: number;
  error?: string;
  baselineMiB?: number;
  peakMiB?: number;
  plan?: { capacity: number; chunk: number; totalMiB: number; weightsMiB: number; kvMiB: number; activationsMiB: number; reason: string };
  rows: ContextRow[];
  logitsFile?: string;
  scaled?: { layers: number; rows: { context: number; prefillTps?: number; decodeTps?: number; ttftCache?: number; ttftSnapshot?: number }[]; plannedMiB128K: Record<string, number> };
}

// Written after every context too, so a run stopped at its time limit still leaves its figures.
function save(): void {
  const report = {
    kind: 'quire-gpu-bench',
    dry,
    shape: { ...SHAPE, layers, headDim: SHAPE.hiddenSize! / SHAPE.heads!, targetLayers: TARGET_LAYERS, precision, kvDtype, rope: 'yarn ×32 from 8192, θ 500000' },
    weightBytes: dims?.weightBytes,
    hf,
    model,
    contexts,
    capacity,
    decodeSteps,
    question,
    doc: { formula: '((i * 7919 + 1) % (vocab - 300)) + 256' },
    prompt,
    gpuTotalMiB: sampler.available ? sampler.totalMiB : null,
    memorySampling: sampler.available ? 'nvidia-smi memory.used every 100 ms, less the baseline before load' : 'unavailable (no nvidia-smi)',
    prepared,
    seconds: elapsed(),
    results,
  };
  if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 1)}\n`);
}

const sampler = new MemorySampler();
process.on('SIGTERM', () => {
  sampler.stop();
  save();
  log(`bench: stopped by the time limit at ${elapsed().toFixed(0)} s; results so far saved`);
  process.exit(124);
});
const message = (e: unknown) => (e as Error).message.split('\n')[0];
sampler.start();
await sampler.ready(5000);
const results: ProviderResult[] = [];
let dims: ModelDims | null = null;
let kvDtype: KvDtype = 'fp16';
let parameters = 1;
let kvPerToken = 0;

for (const provider of providers) {
  const result: ProviderResult = { provider, precision, rows: [] };
  results.push(result);
  const chunk = Number(values.chunk ?? (dry ? 64 : DEFAULT_PREFILL_CHUNK));
  const load: LoadOptions = { provider, context: capacity, providerCheck: 'off', checkCache: null, prefillChunk: chunk } as LoadOptions;
  result.baselineMiB = sampler.now();
  const phaseStart = performance.now();
  let a: EngineSession | null = null;
  let modelDir = model;
  try {
    const t = performance.now();
    a = await EngineSession.load(modelDir, load);
    result.loadSeconds = seconds(t);
  } catch (error) {
    result.error = `load (${precision}): ${message(error)}`;
    log(`${provider}: ${result.error}`);
  }
  if (!a && fallbackPrecision && fallbackPrecision !== precision && elapsed() < budget / 2) {
    try {
      modelDir = modelFor(fallbackPrecision);
      if (!existsSync(join(modelDir, 'quire.json'))) {
        const t = performance.now();
        await convertCheckpoint(hf, modelDir, { precision: fallbackPrecision, context: capacity });
        log(`converted: ${modelDir} (${fallbackPrecision}) in ${seconds(t).toFixed(1)} s`);
      }
      const t = performance.now();
      a = await EngineSession.load(modelDir, load);
      result.loadSeconds = seconds(t);
      result.precision = fallbackPrecision;
      result.note = result.error;
      delete result.error;
      log(`${provider}: ${fallbackPrecision} weights load`);
    } catch (error) {
      result.error += `; load (${fallbackPrecision}): ${message(error)}`;
      log(`${provider}: ${fallbackPrecision} does not load either: ${message(error)}`);
    }
  }
  if (!a) continue;
  const activationBytes = result.precision === 'fp32' ? 4 : 2;
  result.reason = a.report.reason;
  dims = a.model.dims;
  const m = a.model.manifest as { parameters?: number; config: { tieWordEmbeddings?: boolean } };
  parameters = m.parameters ?? (dims.vocabSize * dims.hiddenSize * 2 + dims.hiddenSize + dims.layers * (2 * dims.hiddenSize * (dims.heads + dims.kvHeads) * dims.headDim + 3 * dims.hiddenSize * dims.intermediateSize + 2 * dims.hiddenSize));
  kvDtype = a.report.kvDtype as KvDtype;
  kvPerToken = a.report.kvBytesPerToken;
  log(`${provider}: loaded in ${result.loadSeconds!.toFixed(1)} s — ${a.report.reason}`);
  const totalBytes = sampler.available ? sampler.totalMiB * MiB : 141e9;
  // activationBytes for planners that take it; later ones read the io dtype from dims (an object, not a literal,
  // so both shapes of PlanOptions accept it).
  const planOptions = (context: number, model: ModelDims = dims!, elementBytes = activationBytes) => {
    const o = { availableBytes: totalBytes, context, prefillChunk: chunk, activationBytes: elementBytes };
    return planFit(model, kvDtype, o);
  };
  const plan = planOptions(capacity);
  result.plan = {
    capacity,
    chunk,
    totalMiB: plan.bytes.total / MiB,
    weightsMiB: plan.bytes.weights / MiB,
    kvMiB: plan.bytes.kv / MiB,
    activationsMiB: (plan.bytes.activations + plan.bytes.logits) / MiB,
    reason: plan.reason,
  };

  // Warm-up: shader/kernel compilation and allocator growth for a full and a partial chunk and a decode step.
  try {
    const t = performance.now();
    await a.prefill(doc(chunk + (dry ? 8 : 88)), { chunk });
    await a.generate({ maxNewTokens: 3, sampling: { greedy: true } });
    a.rewind(0);
    log(`${provider}: warm-up ${seconds(t).toFixed(1)} s`);
  } catch (error) {
    log(`${provider}: warm-up failed: ${message(error)}`);
  }

  let last: { n: number; s: number } | null = null;
  for (const n of contexts) {
    const row: ContextRow = { context: n, errors: [] };
    result.rows.push(row);
    // A context is measured only if its work, predicted from the last prefill (between n and n² as attention
    // grows, plus the snapshot, question and decode), fits the budget.
    const predicted = last ? last.s * (n / last.n) ** 1.3 * 1.3 + 5 : 0;
    if (elapsed() + predicted > budget) {
      row.skipped = `predicted ${predicted.toFixed(0)} s would pass the ${budget} s budget at ${elapsed().toFixed(0)} s`;
      log(`${provider} ${n}: skipped (${row.skipped})`);
      continue;
    }
    const t0 = performance.now();
    try {
      a.rewind(0);
      let t = performance.now();
      await a.prefill(doc(n), { chunk });
      row.prefillSeconds = seconds(t);
      row.prefillTps = n / row.prefillSeconds;
      last = { n, s: row.prefillSeconds };
      const snapshot = join(values.dir, 'snapshots', `${provider}-${n}.qkv`);
      mkdirSync(join(values.dir, 'snapshots'), { recursive: true });
      rmSync(snapshot, { force: true });
      try {
        t = performance.now();
        await a.saveSnapshot(snapshot);
        row.snapshotSaveSeconds = seconds(t);
        row.snapshotMB = statSync(snapshot).size / 1e6;
      } catch (error) {
        row.errors.push(`snapshot save: ${message(error)}`);
      }
      t = performance.now();
      await a.prefill(question, { chunk });
      row.ttftNone = row.prefillSeconds + seconds(t);
      t = performance.now();
      await a.generate({ maxNewTokens: decodeSteps + 1, sampling: { greedy: true } });
      row.decodeTps = decodeSteps / seconds(t);
      a.rewind(n);
      t = performance.now();
      await a.sync([...doc(n), ...question], { chunk });
      row.ttftCache = seconds(t);
    } catch (error) {
      row.errors.push(message(error));
    }
    await sleep(250);
    row.peakMiB = sampler.peak(t0) - result.baselineMiB;
    log(
      `${provider} ${n}: prefill ${row.prefillTps?.toFixed(0) ?? '-'} tok/s, decode ${row.decodeTps?.toFixed(1) ?? '-'} tok/s, ` +
        `TTFT none ${row.ttftNone?.toFixed(2) ?? '-'} s / cache ${row.ttftCache?.toFixed(3) ?? '-'} s, peak ${Number.isFinite(row.peakMiB) ? `${row.peakMiB.toFixed(0)} MiB` : 'n/a'}` +
        (row.errors.length ? ` — ${row.errors.join('; ')}` : ''),
    );
    save();
  }

  // The shared prompt's last logits, for peer.py's cosine against PyTorch.
  try {
    a.rewind(0);
    const logits = await a.prefill(prompt, { chunk });
    result.logitsFile = join(values.dir, `quire-${provider}-logits.f32`);
    writeFileSync(result.logitsFile, logits);
  } catch (error) {
    log(`${provider}: shared-prompt logits failed: ${message(error)}`);
  }
  await a.release();
  a = null;

  // From the snapshot: a fresh session (as after a restart) restores the document's cache and prefills the question.
  const withSnapshot = result.rows.filter((r) => r.snapshotMB !== undefined);
  if (withSnapshot.length && elapsed() < budget) {
    try {
      const b = await EngineSession.load(modelDir, load);
      for (const row of withSnapshot) {
        if (elapsed() > budget) break;
        try {
          b.rewind(0);
          const t = performance.now();
          const source = await b.loadDocument(doc(row.context), join(values.dir, 'snapshots', `${provider}-${row.context}.qkv`), { chunk });
          await b.prefill(question, { chunk });
          row.ttftSnapshot = seconds(t);
          if (source !== 'snapshot') row.errors.push(`restore came from ${source}, not the snapshot`);
          log(`${provider} ${row.context}: TTFT from snapshot ${row.ttftSnapshot.toFixed(3)} s (${source})`);
        } catch (error) {
          row.errors.push(`snapshot restore: ${message(error)}`);
        }
      }
      await b.release();
    } catch (error) {
      log(`${provider}: snapshot session failed: ${message(error)}`);
    }
  }
  await sleep(250);
  result.peakMiB = sampler.peak(phaseStart) - result.baselineMiB;
  for (const r of result.rows) {
    if (dims) r.plannedMiB = planOptions(r.context).bytes.total / MiB;
  }

  // Scaled to 32 layers. Prefill, TTFT: per-layer work dominates (the head runs on one position per chunk), so
  // time grows by 32/L. Decode reads every weight and the valid KV once per token: time grows by bytes read.
  if (dims) {
    const d = dims;
    const layerParams = 2 * d.hiddenSize * d.heads * d.headDim + 2 * d.hiddenSize * d.kvHeads * d.headDim + 3 * d.hiddenSize * d.intermediateSize + 2 * d.hiddenSize;
    const bytesPerParam = d.weightBytes / parameters;
    const layerBytes = layerParams * bytesPerParam;
    // Embedding and lm_head: both are stored; a decode step reads the lm_head and one embedding row.
    const headBytes = d.weightBytes - d.layers * layerBytes;
    const headRead = d.vocabSize * d.hiddenSize * bytesPerParam;
    const kvLayer = (n: number) => (n * kvPerToken) / d.layers;
    const f = TARGET_LAYERS / d.layers;
    const decodeFactor = (n: number) => (TARGET_LAYERS * (layerBytes + kvLayer(n)) + headRead) / (d.layers * (layerBytes + kvLayer(n)) + headRead);
    const full: ModelDims = { ...d, layers: TARGET_LAYERS, weightBytes: headBytes + TARGET_LAYERS * layerBytes };
    result.scaled = {
      layers: TARGET_LAYERS,
      rows: result.rows.map((r) => ({
        context: r.context,
        prefillTps: r.prefillTps === undefined ? undefined : r.prefillTps / f,
        decodeTps: r.decodeTps === undefined ? undefined : r.decodeTps / decodeFactor(r.context),
        ttftCache: r.ttftCache === undefined ? undefined : r.ttftCache * f,
        ttftSnapshot: r.ttftSnapshot === undefined ? undefined : r.ttftSnapshot * f,
      })),
      plannedMiB128K: Object.fromEntries(
        (['fp16', 'int8', 'int4'] as KvDtype[]).map((k) => {
          const o = { availableBytes: totalBytes, context: 131072, prefillChunk: chunk, activationBytes: 2 };
          return [k, planFit(full, k, o).bytes.total / MiB];
        }),
      ),
    };
  }
}
sampler.stop();

save();


const fmt = (v: number | undefined, digits: number) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
for (const r of results) {
  log(`\n${r.provider}${r.error ? `: ${r.error}` : ''} (${layers} layers measured; 32-layer figures scaled)`);
  log('| context | prefill tok/s | decode tok/s | TTFT none s | TTFT cache s | TTFT snapshot s | peak MiB | planned MiB | prefill tok/s @32L | decode tok/s @32L |');
  log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [i, row] of r.rows.entries()) {
    const s = r.scaled?.rows[i];
    log(`| ${row.context} | ${fmt(row.prefillTps, 0)} | ${fmt(row.decodeTps, 1)} | ${fmt(row.ttftNone, 2)} | ${fmt(row.ttftCache, 3)} | ${fmt(row.ttftSnapshot, 3)} | ${fmt(row.peakMiB, 0)} | ${fmt(row.plannedMiB, 0)} | ${fmt(s?.prefillTps, 0)} | ${fmt(s?.decodeTps, 1)} |${row.skipped ? ` skipped: ${row.skipped}` : ''}${row.errors.length ? ` errors: ${row.errors.join('; ')}` : ''}`);
  }
}
log(`bench: ${elapsed().toFixed(0)} s`);
