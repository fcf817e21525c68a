// Provider conformance without vitest, for the GPU kit (bench/gpu/run.sh): small random checkpoints run on
// each provider asked for and compared, position by position, with the cpu provider (and, for fp32 weights,
// with test/conformance/reference.ts's float64 forward pass where that file exists): prompt lengths up to
// 1,024 fed in chunks of 1, 7, 31, 32, 64 and 512 tokens, greedy decode after prefill, and a snapshot saved
// and restored into a new session. Prints one line per check and a PASS/FAIL summary, writes JSON.
//   node bench/gpu/conformance.ts --providers cpu,webgpu [--dry] [--max 1024] [--budget 240] [--out f.json]
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { convertCheckpoint } from '../../models/convert.ts';
import { writeTinyCheckpoint } from '../../models/tiny-checkpoint.ts';
import { EngineSession, type LoadOptions } from '../../electron/node/engine/engine-session.ts';

const { values } = parseArgs({
  options: {
    providers: { type: 'string', default: 'cpu' },
    dry: { type: 'boolean', default: false },
    max: { type: 'string' },
    budget: { type: 'string', default: '300' },
    variants: { type: 'string' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-gpu-conformance') },
    out: { type: 'string' },
  },
});

const started = performance.now();
const budget = Number(values.budget);
const elapsed = () => (performance.now() - started) / 1000;
const providers = values.providers.split(',').filter(Boolean);
const dry = values.dry;
// The dry run's WebGPU is SwiftShader on a shared CPU: 40 tokens still cross the 32-token boundary.
const maxLen = Number(values.max ?? (dry ? 40 : 1024));
const CHUNKS = [1, 7, 31, 32, 64, 512];
// Lengths around the 32-token boundary of issue 12 and around chunk edges, then the longest.
const LENGTHS = [...new Set([1, 2, 7, 31, 32, 33, 63, 64, 65, 100, 255, 511, 512, 513, 777, 1000, 1024].filter((n) => n < maxLen).concat(maxLen))];
const DECODE = 8;

interface Variant {
  name: string;
  precision: 'fp32' | 'fp16' | 'int4';
  kv: 'fp32' | 'fp16' | 'int8' | 'int4';
  // Largest |Δlogit| allowed, in units of the reference logits' standard deviation (at least 1).
  tol: number;
  // Reduced grid for the slower variants: the longest prompt in every chunk size plus a few whole-run lengths.
  full: boolean;
}
const ALL_VARIANTS: Variant[] = [
  { name: 'fp32-w/fp32-kv', precision: 'fp32', kv: 'fp32', tol: 2e-3, full: true },
  { name: 'fp16-w/fp16-kv', precision: 'fp16', kv: 'fp16', tol: 3e-2, full: false },
  { name: 'fp32-w/int8-kv', precision: 'fp32', kv: 'int8', tol: 5e-2, full: false },
  { name: 'fp32-w/int4-kv', precision: 'fp32', kv: 'int4', tol: 1e-1, full: false },
  { name: 'int4-w/fp16-kv', precision: 'int4', kv: 'fp16', tol: 5e-2, full: false },
];
const wanted = values.variants?.split(',') ?? (dry ? ['fp32-w/fp32-kv'] : ALL_VARIANTS.map((v) => v.name));
const variants = ALL_VARIANTS.filter((v) => wanted.includes(v.name));

interface Row {
  variant: string;
  provider: string;
  check: string;
  length?: number;
  chunk?: number;
  maxAbs?: number;
  vsF64?: number;
  worstPosition?: number;
  tolerance?: number;
  pass: boolean | null;
  error?: string;
  seconds?: number;
}
const rows: Row[] = [];
const log = (line: string) => process.stdout.write(`${line}\n`);

function compare(got: Float32Array, ref: Float32Array | Float64Array, V: number): { maxAbs: number; worstPosition: number } {
  let maxAbs = 0;
  let worstPosition = -1;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    if (!(d <= maxAbs)) {
      maxAbs = Number.isNaN(d) ? Infinity : d;
      worstPosition = Math.floor(i / V);
    }
  }
  return { maxAbs, worstPosition };
}

function std(a: ArrayLike<number>): number {
  let s = 0, s2 = 0;
  for (let i = 0; i < a.length; i++) (s += a[i]), (s2 += a[i] * a[i]);
  const m = s / a.length;
  return Math.sqrt(Math.max(0, s2 / a.length - m * m));
}

async function loadFloat64(hf: string): Promise<((ids: number[]) => Float64Array) | null> {
  const path = join(import.meta.dirname, '..', '..', 'test', 'conformance', 'reference.ts');
  if (!existsSync(path)) return null;
  try {
    const mod = (await import(pathToFileURL(path).href)) as { Float64Llama?: new (dir: string) => { logits(ids: readonly number[]): Float64Array[] } };
    if (!mod.Float64Llama) return null;
    const ref = new mod.Float64Llama(hf);
    return (ids) => {
      const per = ref.logits(ids);
      const V = per[0].length;
      const out = new Float64Array(per.length * V);
      per.forEach((p, i) => out.set(p, i * V));
      return out;
    };
  } catch (error) {
    log(`float64 reference unavailable: ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
}

// Written after every provider too, and when run.sh's time limit stops the run (SIGTERM), so what finished stays.
function save() {
  const judged = rows.filter((r) => r.pass !== null);
  const failed = judged.filter((r) => !r.pass);
  const summary = {
    providers,
    variants: variants.map((v) => v.name),
    lengths: LENGTHS,
    chunks: CHUNKS,
    float64Reference: usedFloat64,
    checks: judged.length,
    failed: failed.length,
    skipped: rows.length - judged.length,
    seconds: elapsed(),
    verdict: failed.length === 0 ? 'PASS' : 'FAIL',
  };
  if (values.out) {
    mkdirSync(join(values.out, '..'), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify({ summary, rows }, null, 1)}\n`);
  }
  return { judged, failed, summary };
}
let usedFloat64 = false;
process.on('SIGTERM', () => {
  rows.push({ variant: '-', provider: '-', check: 'time limit', pass: null, error: `stopped at ${elapsed().toFixed(0)} s` });
  save();
  log(`conformance: stopped by the time limit at ${elapsed().toFixed(0)} s; results so far saved`);
  process.exit(124);
});

async function run(): Promise<number> {
  rmSync(values.dir, { recursive: true, force: true });
  const hf = join(values.dir, 'hf');
  // head_dim 64 as GPU kernels see in real models; GQA 4:2; YaRN; 2 layers.
  await writeTinyCheckpoint(hf, { hiddenSize: 256, intermediateSize: 512, layers: 2, heads: 4, kvHeads: 2, originalContext: 512, factor: 8, seed: 12 });
  const ids = Array.from({ length: maxLen }, (_, i) => (i * 7919 + 13) % 250 + 3);
  const f64 = await loadFloat64(hf);
  usedFloat64 = f64 !== null;
  let f64Logits: Float64Array | null = null;
  if (f64) {
    const t = performance.now();
    f64Logits = f64(ids);
    log(`float64 reference: ${maxLen} positions in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } else log('float64 reference: test/conformance/reference.ts not found; comparing with the cpu provider only');

  for (const variant of variants) {
    const model = join(values.dir, variant.name.replace(/\//g, '_'));
    try {
      await convertCheckpoint(hf, model, { precision: variant.precision, kv: variant.kv });
    } catch (error) {
      rows.push({ variant: variant.name, provider: '-', check: 'convert', pass: false, error: (error as Error).message.split('\n')[0] });
      log(`${variant.name}: convert failed: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const context = maxLen + DECODE + 8;
    const load = (provider: string): Promise<EngineSession> =>
      EngineSession.load(model, { provider, context, providerCheck: 'off', checkCache: null } as LoadOptions);
    // The cpu reference for this variant: every position of the longest prompt, in one chunk size.
    const cpu = await load('cpu');
    const ref = await cpu.prefill(ids, { chunk: 512, allLogits: true });
    const V = cpu.vocabSize;
    const refDecode = await cpu.generate({ maxNewTokens: DECODE, sampling: { greedy: true } });
    await cpu.release();
    const scale = Math.max(1, std(ref));
    const tolerance = variant.tol * scale;
    if (f64Logits && variant.precision === 'fp32' && variant.kv === 'fp32') {
      const { maxAbs, worstPosition } = compare(ref, f64Logits, V);
      const pass = maxAbs <= tolerance;
      rows.push({ variant: variant.name, provider: 'cpu', check: 'cpu vs float64', length: maxLen, chunk: 512, maxAbs, worstPosition, tolerance, pass });
      log(`${variant.name} cpu vs float64: max |Δ| ${maxAbs.toExponential(2)} (tol ${tolerance.toExponential(1)}) ${pass ? 'ok' : 'FAIL'}`);
    }

    for (const provider of providers) {
      let session: EngineSession;
      try {
        session = await load(provider);
      } catch (error) {
        rows.push({ variant: variant.name, provider, check: 'load', pass: false, error: (error as Error).message.split('\n')[0] });
        log(`${variant.name} ${provider}: load failed: ${(error as Error).message.split('\n')[0]}`);
        continue;
      }
      log(`${variant.name} ${provider}: ${session.report.reason}`);
      const grid: [number, number][] = [];
      for (const chunk of CHUNKS) {
        for (const length of LENGTHS) {
          // chunk 1: every length is a prefix of the longest run (same runs), so only the longest is fed.
          if (chunk === 1 && length !== maxLen) continue;
          if (!variant.full && length !== maxLen && length > chunk && ![1, 31, 32, 33, 100].includes(length)) continue;
          grid.push([length, chunk]);
        }
      }
      let failures = 0;
      for (const [length, chunk] of grid) {
        if (elapsed() > budget) {
          rows.push({ variant: variant.name, provider, check: 'prefill', length, chunk, pass: null, error: 'skipped: time budget spent' });
          continue;
        }
        const t = performance.now();
        try {
          session.rewind(0);
          const got = await session.prefill(ids.slice(0, length), { chunk, allLogits: true });
          const { maxAbs, worstPosition } = compare(got, ref.subarray(0, length * V), V);
          const vsF64 = f64Logits && variant.precision === 'fp32' && variant.kv === 'fp32' ? compare(got, f64Logits.subarray(0, length * V), V).maxAbs : undefined;
          const pass = maxAbs <= tolerance && (vsF64 === undefined || vsF64 <= tolerance);
          if (!pass) failures++;
          rows.push({ variant: variant.name, provider, check: 'prefill', length, chunk, maxAbs, vsF64, worstPosition, tolerance, pass, seconds: (performance.now() - t) / 1000 });
          if (!pass || length === maxLen) {
            log(`${variant.name} ${provider} prefill L=${length} chunk=${chunk}: max |Δ| vs cpu ${maxAbs.toExponential(2)}${vsF64 === undefined ? '' : `, vs f64 ${vsF64.toExponential(2)}`} (tol ${tolerance.toExponential(1)}, worst at ${worstPosition}) ${pass ? 'ok' : 'FAIL'}`);
          }
        } catch (error) {
          failures++;
          rows.push({ variant: variant.name, provider, check: 'prefill', length, chunk, pass: false, error: (error as Error).message.split('\n')[0] });
          log(`${variant.name} ${provider} prefill L=${length} chunk=${chunk}: ERROR ${(error as Error).message.split('\n')[0]}`);
        }
      }
      log(`${variant.name} ${provider}: prefill grid ${grid.length - failures}/${grid.length} within tolerance`);

      // Decode after prefill: the same greedy tokens as the cpu provider.
      try {
        session.rewind(0);
        await session.prefill(ids, { chunk: 512 });
        const tokens = await session.generate({ maxNewTokens: DECODE, sampling: { greedy: true } });
        const pass = tokens.join(',') === refDecode.join(',');
        rows.push({ variant: variant.name, provider, check: 'decode', length: maxLen, pass, ...(pass ? {} : { error: `tokens ${tokens.join(',')} vs cpu ${refDecode.join(',')}` }) });
        log(`${variant.name} ${provider} decode ${DECODE} greedy tokens after ${maxLen}: ${pass ? 'same as cpu' : `DIFFER ${tokens.join(',')} vs ${refDecode.join(',')}`}`);
      } catch (error) {
        rows.push({ variant: variant.name, provider, check: 'decode', pass: false, error: (error as Error).message.split('\n')[0] });
        log(`${variant.name} ${provider} decode: ERROR ${(error as Error).message.split('\n')[0]}`);
      }

      // Snapshot: save after prefill, restore in a fresh session on the same provider, continue one token.
      const snapshot = join(values.dir, `${provider}.qkv`);
      try {
        session.rewind(0);
        const half = Math.max(1, maxLen - 1);
        await session.prefill(ids.slice(0, half), { chunk: 64 });
        await session.saveSnapshot(snapshot);
        const fresh = await load(provider);
        try {
          const source = await fresh.loadDocument(ids.slice(0, half), snapshot, { chunk: 64 });
          const got = await fresh.prefill(ids.slice(half), { chunk: 64 });
          const { maxAbs } = compare(got, ref.subarray((maxLen - 1) * V, maxLen * V), V);
          const pass = source === 'snapshot' && maxAbs <= tolerance;
          rows.push({ variant: variant.name, provider, check: 'snapshot', length: maxLen, maxAbs, tolerance, pass, ...(source === 'snapshot' ? {} : { error: `document came from ${source}, not the snapshot` }) });
          log(`${variant.name} ${provider} snapshot save → restore (${source}) → next token: max |Δ| ${maxAbs.toExponential(2)} ${pass ? 'ok' : 'FAIL'}`);
        } finally {
          await fresh.release();
        }
      } catch (error) {
        rows.push({ variant: variant.name, provider, check: 'snapshot', pass: false, error: (error as Error).message.split('\n')[0] });
        log(`${variant.name} ${provider} snapshot: ERROR ${(error as Error).message.split('\n')[0]}`);
      }
      await session.release();
      save();
    }
  }

  const { judged, failed, summary } = save();
  for (const v of variants) {
    for (const p of new Set(['cpu', ...providers])) {
      const mine = judged.filter((r) => r.variant === v.name && r.provider === p);
      if (mine.length) log(`summary ${v.name} ${p}: ${mine.filter((r) => r.pass).length}/${mine.length} pass`);
    }
  }
  log(`conformance: ${summary.verdict} (${judged.length - failed.length}/${judged.length} checks pass, ${summary.skipped} skipped, ${elapsed().toFixed(0)} s)`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await run();
