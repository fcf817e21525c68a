// Quire's attention (native/src/gqa_attention.cc) in place of onnxruntime's GroupQueryAttention on the CPU: one
// node run through a sequence of prompt chunks (Quire's kernel for an fp16 cache, onnxruntime's own for fp32, which
// the op hands them to) and decode steps (Quire's), on one cache bound as past and present as the engine binds it,
// must give onnxruntime's outputs at every step — so the keys and values each step writes are the ones later steps
// and chunks read. The shapes take each of the kernels' paths: 1, 2, 4 and 8 query heads per kv head, 1, 2 and 4
// chunks of 16 lanes accumulated at once, fp32 and fp16, contexts across blocks of 64 and 128 keys, a chunk's last tile
// of query rows short of a group of 4 (the one-row path) — on each instruction set's path this CPU runs (an AVX-512
// CPU runs the AVX2 one too, as a CPU without AVX-512 would).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import { loadNativeAddon, type KernelPath, type NativeAddon } from '../../../electron/node/engine/native-addon.ts';
import { attentionKernelWanted } from '../../../electron/node/engine/native-backend.ts';
import { gqaNode, type GqaShape } from '../../fixtures/gqa-node.ts';

const native = loadNativeAddon();
const addon: NativeAddon | null = native.ok && native.addon.attentionKernel ? native.addon : null;
const dir = mkdtempSync(join(tmpdir(), 'quire-attention-kernel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

const POSITIONS = 512;

// Runs `steps` (tokens per run: > 1 a prompt chunk, 1 a decode step) from position 0 on one cache of `capacity`
// rows, with the same random projections whichever kernel runs, and returns each run's output.
async function runSteps(a: NativeAddon, s: GqaShape, kernel: KernelPath | boolean, steps: number[], capacity = POSITIONS): Promise<Float32Array[]> {
  const node = gqaNode(a, s, dir, { kernel, capacity, positions: POSITIONS, threads: 2 });
  const rnd = random(7);
  const width = (s.heads + 2 * s.kvHeads) * s.headDim;
  try {
    const outputs: Float32Array[] = [];
    let past = 0;
    for (const n of steps) {
      outputs.push(await node.step(Float32Array.from({ length: n * width }, () => 2 * rnd()), n, past));
      past += n;
    }
    return outputs;
  } finally {
    node.release();
  }
}

// A prompt chunk across the first block boundary, decode steps, a second chunk reading what they wrote, decode on
// into the third block.
const STEPS = [130, ...Array(6).fill(1), 9, ...Array(140).fill(1)];

describe.skipIf(!addon)('Quire attention against onnxruntime GroupQueryAttention', () => {
  const shapes: GqaShape[] = [
    { heads: 8, kvHeads: 2, headDim: 64, io: 'fp16' }, // Llama's 4 per kv head, 4 chunks at once
    { heads: 8, kvHeads: 2, headDim: 128, io: 'fp32' },
    { heads: 16, kvHeads: 2, headDim: 128, io: 'fp16' }, // 8 per kv head, 2 chunks at once
    { heads: 4, kvHeads: 2, headDim: 48, io: 'fp32' }, // 3 chunks: 1 at a time
    { heads: 2, kvHeads: 2, headDim: 32, io: 'fp16' }, // multi-head attention, 2 chunks
  ];
  const paths = addon?.attentionKernelPaths ?? [];
  it('runs the AVX2 path wherever it runs the AVX-512 one', () => {
    expect(paths.length).toBeGreaterThan(0);
    if (paths.includes('avx512')) expect(paths).toEqual(['avx512', 'avx2']);
  });
  const onnxruntime = new Map<GqaShape, Promise<Float32Array[]>>();
  for (const s of shapes) {
    it.each(paths)(`${s.heads}/${s.kvHeads} heads of ${s.headDim}, ${s.io}, %s: every step as onnxruntime's`, async (path) => {
      const ours = await runSteps(addon!, s, path, STEPS);
      if (!onnxruntime.has(s)) onnxruntime.set(s, runSteps(addon!, s, false, STEPS));
      const theirs = await onnxruntime.get(s)!;
      // fp16 outputs are rounded to half by both: a last-bit difference in float32 can round apart by one ulp.
      const tolerance = s.io === 'fp16' ? 2e-3 : 2e-5;
      let worst = 0;
      let differs = false;
      for (let i = 0; i < STEPS.length; i++) {
        for (let j = 0; j < ours[i].length; j++) {
          expect(Number.isFinite(ours[i][j])).toBe(true);
          worst = Math.max(worst, Math.abs(ours[i][j] - theirs[i][j]) / Math.max(1, Math.abs(theirs[i][j])));
          if (ours[i][j] !== theirs[i][j]) differs = true;
        }
      }
      expect(worst).toBeLessThan(tolerance);
      // Sums in another order: identical outputs at every decode step would mean the override never ran.
      expect(differs).toBe(true);
    }, 60_000);
  }

  it('refuses by name a step past the end of the rotary tables, where it would read outside them', async () => {
    const s: GqaShape = { heads: 8, kvHeads: 2, headDim: 64, io: 'fp16' };
    await expect(runSteps(addon!, s, true, [POSITIONS, 1], POSITIONS + 8)).rejects.toThrow(/position 512 is outside the cache \(520 rows\) or the rotary tables \(512\)/);
    await expect(runSteps(addon!, s, true, [POSITIONS - 4, 8], POSITIONS + 8)).rejects.toThrow(/positions 508–515 are outside the cache \(520 rows\) or the rotary tables \(512\)/);
  });
});

describe('when the CPU path takes Quire attention', () => {
  it('takes float caches on the cpu only; QUIRE_ATTENTION_KERNEL=onnxruntime keeps onnxruntime\'s, =avx2 picks a path', () => {
    expect(attentionKernelWanted('cpu', { kvDtype: 'fp16' }, {})).toBe(true);
    expect(attentionKernelWanted('cpu', { kvDtype: 'fp32' }, {})).toBe(true);
    expect(attentionKernelWanted('cpu', { kvDtype: 'int8' }, {})).toBe(false);
    expect(attentionKernelWanted('webgpu', { kvDtype: 'fp16' }, {})).toBe(false);
    expect(attentionKernelWanted('cpu', { kvDtype: 'fp16' }, { QUIRE_ATTENTION_KERNEL: 'onnxruntime' })).toBe(false);
    expect(attentionKernelWanted('cpu', { kvDtype: 'fp16' }, { QUIRE_ATTENTION_KERNEL: 'avx2' })).toBe('avx2');
    expect(attentionKernelWanted('cpu', { kvDtype: 'int8' }, { QUIRE_ATTENTION_KERNEL: 'avx2' })).toBe(false);
    expect(() => attentionKernelWanted('cpu', { kvDtype: 'fp16' }, { QUIRE_ATTENTION_KERNEL: 'fast' })).toThrow(QuireError);
  });
});
