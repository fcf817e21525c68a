// Shared set-up of the provider-conformance suite (test/conformance/*.test.ts): which providers run, the
// checkpoints and their converted models, the float64 reference, and the tolerances per weight dtype.
//
// Every test file runs each of its cases on every provider present: cpu always; webgpu wherever a Vulkan ICD
// is configured (test/gpu-env.ts points the tests at SwiftShader where Debian's chromium is installed, as in
// CI) and the native addon is built. QUIRE_CONFORMANCE_PROVIDERS=cpu,webgpu overrides the list, e.g. on a
// machine with a real GPU.
//
// Snapshot save -> restore across processes is not covered here yet; it belongs in its own file,
// test/conformance/snapshot.test.ts, built the same way: describe.each(conformanceProviders()), the shared
// fp32 model from conformanceModel('fp32'), and the reference rows from referenceLogits().
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { convertCheckpoint } from '../../models/convert.ts';
import { writeTinyCheckpoint } from '../../models/tiny-checkpoint.ts';
import { EngineSession } from '../../electron/node/engine/engine-session.ts';
import { loadNativeAddon } from '../../electron/node/engine/native-addon.ts';
import type { Provider } from '../../electron/node/engine/provider-choice.ts';
import { Float64Llama } from './reference.ts';

// The longest prompt: every length and schedule the suite runs is a prefix of PROMPT.
export const MAX_TOKENS = 1024;
// Deterministic token ids spread over the tiny vocabulary (ids below 500 are ordinary tokens there).
export const PROMPT: readonly number[] = Array.from({ length: MAX_TOKENS }, (_, i) => (i * 7919 + 13) % 499);

export function conformanceProviders(): Provider[] {
  const asked = process.env.QUIRE_CONFORMANCE_PROVIDERS;
  if (asked) return asked.split(',').filter(Boolean) as Provider[];
  const icd = Boolean(process.env.VK_ICD_FILENAMES && existsSync(process.env.VK_ICD_FILENAMES));
  const native = loadNativeAddon();
  // CI (.ci/run) installs chromium and builds the addon: there WebGPU must be in the matrix, not quietly left out.
  if (icd && !native.ok && process.env.CI) throw new Error(`conformance: a Vulkan ICD is configured but WebGPU cannot run: ${native.reason}`);
  return icd && native.ok ? ['cpu', 'webgpu'] : ['cpu'];
}

export type WeightDtype = 'fp32' | 'int4';

// Largest |logit - expected| allowed. fp32 weights are compared with the float64 reference: float32 rounding
// over 1,024 positions stays near 2e-5 on both providers (docs/gpu-providers.md), against logits whose standard
// deviation is about 1, so 1e-4 still catches a single mis-weighted key. int4 weights are compared with the
// cpu provider running the same int4 model (the reference knows nothing of quantization); the providers'
// MatMulNBits kernels may round activations differently, hence the looser bound.
export const TOLERANCE: Record<WeightDtype, number> = { fp32: 1e-4, int4: 2e-2 };

// Small dims keep SwiftShader fast; head_dim 16 and GQA 4:2 still exercise the grouped heads, and a context of
// 1,024 over an original 128 with YaRN factor 8 puts most positions in the scaled RoPE band. 'llama-head' has
// Llama 3's head size (128, two query heads sharing one KV head), which changes the tiling of onnxruntime's
// WebGPU flash attention (16 keys per shared-memory step instead of 32); it is slower on SwiftShader, so its
// cases stay short.
const CHECKPOINTS = {
  small: { hiddenSize: 64, intermediateSize: 128, layers: 2, heads: 4, kvHeads: 2, originalContext: 128, factor: 8, seed: 12 },
  'llama-head': { hiddenSize: 256, intermediateSize: 256, layers: 2, heads: 2, kvHeads: 1, originalContext: 128, factor: 8, seed: 13 },
} as const;
export type Shape = keyof typeof CHECKPOINTS;

const hfDirs = new Map<Shape, Promise<string>>();
const models = new Map<string, Promise<string>>();
const references = new Map<Shape, Float64Array[]>();

function checkpoint(shape: Shape): Promise<string> {
  let dir = hfDirs.get(shape);
  if (!dir) {
    dir = (async () => {
      const hf = join(mkdtempSync(join(tmpdir(), 'quire-conformance-')), 'hf');
      await writeTinyCheckpoint(hf, CHECKPOINTS[shape]);
      return hf;
    })();
    hfDirs.set(shape, dir);
  }
  return dir;
}

export function conformanceModel(weights: WeightDtype, shape: Shape = 'small'): Promise<string> {
  const key = `${shape}/${weights}`;
  let model = models.get(key);
  if (!model) {
    model = (async () => {
      const hf = await checkpoint(shape);
      const out = join(hf, '..', weights);
      // fp32 activations everywhere: the io dtype every adapter runs (SwiftShader has no shader-f16).
      await convertCheckpoint(hf, out, weights === 'fp32' ? { precision: 'fp32' } : { precision: 'int4', io: 'fp32', kv: 'fp32' });
      return out;
    })();
    models.set(key, model);
  }
  return model;
}

// Float64 logits of every position of PROMPT's first `length` tokens, computed once per test file and shape
// (about a second for the small shape at 1,024 tokens).
export async function referenceLogits(shape: Shape = 'small', length = MAX_TOKENS): Promise<Float64Array[]> {
  let rows = references.get(shape);
  if (!rows || rows.length < length) {
    rows = new Float64Llama(await checkpoint(shape)).logits(PROMPT.slice(0, length));
    references.set(shape, rows);
  }
  return rows;
}

export function openSession(model: string, provider: Provider): Promise<EngineSession> {
  // The provider check (a canary against the cpu path at first load) is what this suite checks in full.
  return EngineSession.load(model, { provider, context: MAX_TOKENS, providerCheck: 'off' });
}

// Largest |got - expected| over rows [from, from + rows) of a [rows · V] block of logits.
export function worstDiff(got: Float32Array, expected: readonly ArrayLike<number>[], from: number): number {
  const V = expected[0].length;
  expect(got.length % V).toBe(0);
  let worst = 0;
  for (let r = 0; r < got.length / V; r++) {
    const want = expected[from + r];
    for (let v = 0; v < V; v++) {
      const d = Math.abs(got[r * V + v] - want[v]);
      // NaN compares false: count it as the worst possible difference.
      worst = d > worst || Number.isNaN(d) ? (Number.isNaN(d) ? Infinity : d) : worst;
    }
  }
  return worst;
}

// Figures the suite measured, printed once per file so a CI log shows how close each provider came.
export function report(file: string, lines: string[]): void {
  console.log(`[conformance ${file}]\n  ${lines.join('\n  ')}`);
}
