// The provider check: before a GPU provider answers anything with a model, a short canary runs on it and on
// the CPU path and their logits are compared, so a driver, runtime or kernel bug on that GPU becomes a clear
// refusal or a fallback to cpu instead of fluent wrong answers. The canary covers a prefill run of ≥ 32 tokens
// (where WebGPU's prefill path has differed from cpu) and a short continuation over that cache. A verdict is
// kept per model, provider, adapter, driver and onnxruntime version in <data>/provider-checks.json.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { entryPoints } from '../entry-points.ts';
import { PRODUCT_VERSION } from '../version.ts';
import type { Backend } from './backend.ts';
import type { GpuAdapter } from './gpu-adapter.ts';
import type { ModelFolder } from './model-folder.ts';

// Bump when the canary or the tolerances change: older verdicts then no longer apply.
export const CANARY_VERSION = 1;
export const CANARY_PREFILL = 40;
export const CANARY_TOKENS = 48;

// The advice for a model an adapter without WebGPU shader-f16 cannot run; `need` is model-spec's webgpuF16Need.
export function noF16Advice(adapter: string, need: string): string {
  const fix = need === 'int4 weights' ? '--precision fp32' : '--io fp32';
  return `${adapter} has no 16-bit float shaders (WebGPU shader-f16), which this model's ${need} need: convert it with ${fix}, or use --provider cpu`;
}

export interface Tolerance {
  // Smallest cosine similarity of the two logit vectors.
  cosine: number;
  // Largest |gpu − cpu| over all logits, as a fraction of the reference logits' standard deviation.
  maxAbsOverStd: number;
}

// Per dtype of the activations and the cache, the looser of the two. fp32 providers agree with cpu to ~1e-5 of
// the logits' spread; the WebGPU bug this catches was off by 0.1–1.3 with a spread of 1–5.
const TOLERANCES: Record<string, Tolerance> = {
  fp32: { cosine: 0.9999, maxAbsOverStd: 0.01 },
  fp16: { cosine: 0.999, maxAbsOverStd: 0.05 },
  int8: { cosine: 0.995, maxAbsOverStd: 0.1 },
  int4: { cosine: 0.99, maxAbsOverStd: 0.2 },
  // WebGPU's own quantization (model-spec.ts KvQuant) is checked against the same graph on cpu with a float cache,
  // so these include the quantization error itself: int8 (a scale per row) stays within the int8 bounds; int4
  // (TurboQuant) measured cosine 0.95–0.999 and max |Δ| up to ~0.35 of the spread on head_dim 32–128
  // (docs/gpu-providers.md), so only a gross failure (garbage, NaN, misplaced rows) is caught there.
  'webgpu-int8': { cosine: 0.995, maxAbsOverStd: 0.1 },
  'webgpu-int4': { cosine: 0.9, maxAbsOverStd: 1 },
};

export function toleranceFor(ioDtype: string, kvDtype: string): Tolerance {
  const a = TOLERANCES[ioDtype] ?? TOLERANCES.fp16;
  const b = TOLERANCES[kvDtype] ?? TOLERANCES.fp16;
  return { cosine: Math.min(a.cosine, b.cosine), maxAbsOverStd: Math.max(a.maxAbsOverStd, b.maxAbsOverStd) };
}

export interface Comparison {
  cosine: number;
  maxAbs: number;
  std: number;
  ok: boolean;
}

export function compareLogits(gpu: Float32Array, reference: Float32Array, tolerance: Tolerance): Comparison {
  if (gpu.length !== reference.length) return { cosine: 0, maxAbs: Infinity, std: 0, ok: false };
  let dot = 0;
  let ng = 0;
  let nr = 0;
  let maxAbs = 0;
  let sum = 0;
  let finite = true;
  for (let i = 0; i < gpu.length; i++) {
    const g = gpu[i];
    const r = reference[i];
    if (!Number.isFinite(g)) finite = false;
    dot += g * r;
    ng += g * g;
    nr += r * r;
    sum += r;
    maxAbs = Math.max(maxAbs, Math.abs(g - r));
  }
  const mean = sum / reference.length;
  let variance = 0;
  for (let i = 0; i < reference.length; i++) variance += (reference[i] - mean) ** 2;
  const std = Math.sqrt(variance / reference.length);
  const cosine = ng > 0 && nr > 0 ? dot / Math.sqrt(ng * nr) : ng === nr ? 1 : 0;
  const ok = finite && cosine >= tolerance.cosine && maxAbs <= tolerance.maxAbsOverStd * Math.max(std, 1e-6);
  return { cosine, maxAbs, std, ok };
}

// Fixed, spread over the vocabulary, no special meaning: the same canary on every machine.
export function canaryIds(vocabSize: number, count = CANARY_TOKENS): number[] {
  return Array.from({ length: count }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 0) % vocabSize);
}

// Logits after the prefill run and after the continuation.
export async function runCanary(backend: Backend, ids: readonly number[]): Promise<Float32Array[]> {
  const split = Math.min(CANARY_PREFILL, ids.length);
  const out = [(await backend.step(ids.slice(0, split), 0, 1)).logits.slice()];
  if (split < ids.length) out.push((await backend.step(ids.slice(split), split, 1)).logits.slice());
  return out;
}

export interface CheckKey {
  modelHash: string;
  provider: string;
  adapter: GpuAdapter | null;
  ortVersion: string;
  // Quire's own build: a fix in the engine (the addon, its Vulkan layer) must retire a failure it caused.
  build?: string;
}

// The app version and the native files' sizes and times: changes with every release and every rebuild.
export function engineBuild(): string {
  const parts = [PRODUCT_VERSION];
  try {
    const dir = dirname(entryPoints.nativeAddon);
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.node')).sort()) {
      const st = statSync(join(dir, name));
      parts.push(`${name}:${st.size}:${Math.round(st.mtimeMs)}`);
    }
  } catch {
    // No addon: the onnxruntime-node path, identified by the ORT version alone.
  }
  return parts.join(' ');
}

export interface Verdict {
  ok: boolean;
  // What the canary ran: a pass on a shorter canary (a small context) does not vouch for a longer one.
  tokens: number;
  detail: string;
  checkedAt: string;
}

export function checkKey(key: CheckKey): string {
  const adapter = key.adapter ? [key.adapter.name, key.adapter.driver] : ['unknown adapter'];
  return createHash('sha256')
    .update(JSON.stringify([CANARY_VERSION, key.modelHash, key.provider, ...adapter, key.ortVersion, key.build ?? '']))
    .digest('hex')
    .slice(0, 32);
}

export function defaultCheckCache(root: string): string {
  return join(root, 'provider-checks.json');
}

type VerdictFile = Record<string, Verdict & { provider: string; adapter: string }>;

function readVerdicts(path: string): VerdictFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as VerdictFile) : {};
  } catch {
    // Missing or damaged: the check simply runs again.
    return {};
  }
}

export function cachedVerdict(path: string | null, key: CheckKey, tokens: number): Verdict | null {
  if (!path) return null;
  const verdict = readVerdicts(path)[checkKey(key)];
  if (!verdict || typeof verdict.ok !== 'boolean') return null;
  // A failure stands whatever its length; a pass only for canaries at least as long.
  return !verdict.ok || verdict.tokens >= tokens ? verdict : null;
}

export function storeVerdict(path: string | null, key: CheckKey, verdict: Verdict): void {
  if (!path) return;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const all = readVerdicts(path);
    all[checkKey(key)] = { ...verdict, provider: key.provider, adapter: key.adapter?.name ?? 'unknown' };
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 1)}\n`);
    renameSync(tmp, path);
  } catch {
    // A read-only data folder costs a re-check next time, nothing else.
  }
}

// Compares the provider's canary logits with the reference's; the verdict says where they part.
export function judge(gpu: Float32Array[], reference: Float32Array[], model: ModelFolder, tokens: number): Verdict {
  const tolerance = toleranceFor(model.manifest.ioDtype, model.manifest.kvQuant === 'webgpu' ? `webgpu-${model.manifest.kvDtype}` : model.manifest.kvDtype);
  const parts = ['prefill', 'continuation'];
  const details: string[] = [];
  let ok = gpu.length === reference.length;
  for (let i = 0; i < reference.length; i++) {
    const c = compareLogits(gpu[i] ?? new Float32Array(0), reference[i], tolerance);
    ok &&= c.ok;
    details.push(`${parts[i]}: cosine ${c.cosine.toFixed(6)}, max |Δ| ${c.maxAbs === 0 ? '0' : c.maxAbs.toPrecision(3)} (logit spread ${c.std.toPrecision(3)})`);
  }
  return { ok, tokens, detail: details.join('; '), checkedAt: new Date().toISOString() };
}
