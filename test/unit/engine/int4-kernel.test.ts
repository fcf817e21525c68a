// Quire's int4 kernel (native/src/q4_gemm.cc) in place of onnxruntime's MatMulNBits: the same products as an
// exact reference of the same arithmetic (activations rounded to int8 per block of 32), on the shapes that take
// each of its paths — decode (1–3 rows), the 16-row panels with 8 rows at a time and the rows left over, a
// weight row count that is not a multiple of 16 (or of AVX2's 8), an odd number of blocks — with fp32 and fp16
// activations, and close to onnxruntime's own kernel; on every path of it this CPU runs (AVX-512 VNNI and AVX2 on an
// AVX-512 VNNI CPU).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import { loadNativeAddon, type KernelPath, type NativeAddon } from '../../../electron/node/engine/native-addon.ts';
import { int4KernelWanted } from '../../../electron/node/engine/native-backend.ts';
import { float32ToHalf, halfToFloat32 } from '../../../models/float16.ts';
import { INT4_BLOCK, quantizeInt4Rows } from '../../../models/int4.ts';
import { ONNX_TYPE } from '../../../models/model-spec.ts';
import { GraphBuilder } from '../../../models/onnx-writer.ts';

const native = loadNativeAddon();
const addon: NativeAddon | null = native.ok && native.addon.int4Kernel ? native.addon : null;
const dir = mkdtempSync(join(tmpdir(), 'quire-int4-kernel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

type Io = 'fp32' | 'fp16';
const toHalf = (v: Float32Array) => halfToFloat32(float32ToHalf(v));

// One MatMulNBits node over random weights quantized by the converter's own quantizer. With fp16 activations the
// graph casts in and out (the node's input, scales and output are fp16); `scales` are then the fp16 values.
function model(K: number, N: number, io: Io = 'fp32', block = INT4_BLOCK): { path: string; packed: Uint8Array; scales: Float32Array } {
  const rnd = random(K * 31 + N);
  const packed = new Uint8Array((N * K) / 2);
  const scales = new Float32Array((N * K) / block);
  quantizeInt4Rows(Float32Array.from({ length: N * K }, rnd), N, K, packed, scales, block);
  const g = new GraphBuilder();
  g.input('a', ONNX_TYPE.FLOAT, ['m', K]);
  const half = io === 'fp16';
  g.initializers.push({ name: 'w', dataType: ONNX_TYPE.UINT8, dims: [N, K / block, block / 2], rawData: packed });
  const scaleBytes = half ? new Uint8Array(float32ToHalf(scales).buffer) : new Uint8Array(scales.buffer);
  g.initializers.push({ name: 's', dataType: half ? ONNX_TYPE.FLOAT16 : ONNX_TYPE.FLOAT, dims: [scales.length], rawData: scaleBytes });
  const a = half ? g.node('Cast', ['a'], 1, { to: ONNX_TYPE.FLOAT16 })[0] : 'a';
  const y = g.node('MatMulNBits', [a, 'w', 's'], 1, { K, N, bits: 4, block_size: block, accuracy_level: 4 }, { domain: 'com.microsoft' })[0];
  g.node(half ? 'Cast' : 'Identity', [y], ['y'], half ? { to: ONNX_TYPE.FLOAT } : {});
  g.output('y', ONNX_TYPE.FLOAT, ['m', N]);
  const path = join(dir, `mm-${K}-${N}-${block}-${io}.onnx`);
  writeFileSync(path, g.encode({ '': 21, 'com.microsoft': 1 }, { producer: 'test' }));
  return { path, packed, scales: half ? toHalf(scales) : scales };
}

async function run(a: NativeAddon, path: string, int4Kernel: boolean | KernelPath, input: Float32Array, M: number, K: number): Promise<Float32Array> {
  const session = new a.Session(path, { provider: 'cpu', int4Kernel, intraOpThreads: 2 });
  try {
    session.setInput('a', input, [M, K], ONNX_TYPE.FLOAT);
    session.bindHostOutput('y');
    return (await session.run()).y.data;
  } finally {
    session.release();
  }
}

// The kernel's arithmetic in doubles: each block of 32 activations rounded to int8 (scale = max |a| / 127, ties to
// even), its integer dot product with the weights' 4-bit values less 8, times both scales.
function reference(input: Float32Array, M: number, K: number, N: number, packed: Uint8Array, scales: Float32Array): Float64Array {
  const y = new Float64Array(M * N);
  const blocks = K / INT4_BLOCK;
  for (let i = 0; i < M; i++) {
    for (let b = 0; b < blocks; b++) {
      const x = input.subarray(i * K + b * INT4_BLOCK, i * K + (b + 1) * INT4_BLOCK);
      const amax = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const inv = Math.fround(amax > 0 ? Math.fround(127 / amax) : 0);
      const q = Array.from(x, (v) => roundEven(Math.fround(v * inv)));
      const d = Math.fround(amax / 127);
      for (let n = 0; n < N; n++) {
        let dot = 0;
        for (let j = 0; j < INT4_BLOCK; j++) {
          const byte = packed[(n * K + b * INT4_BLOCK + j) >> 1];
          dot += ((j & 1 ? byte >> 4 : byte & 15) - 8) * q[j];
        }
        y[i * N + n] += dot * d * scales[n * blocks + b];
      }
    }
  }
  return y;
}

function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function relativeRms(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe.skipIf(!addon)(`Quire's int4 kernel (${addon ? 'this CPU runs it' : 'skipped: addon not built or neither AVX2 nor AVX-512 VNNI'})`, () => {
  const paths = addon?.int4KernelPaths ?? [];
  it('runs the AVX2 path wherever it runs the AVX-512 one', () => {
    expect(paths.length).toBeGreaterThan(0);
    if (paths.includes('avx512')) expect(paths).toEqual(['avx512', 'avx2']);
  });
  // K 256: 8 blocks (AVX2's decode takes them 8 at a time, AVX-512's in pairs); K 512: 16 (AVX-512's decode takes
  // them 16 at a time); K 96: 3 blocks, so AVX-512's decode goes through the panels and AVX2's block by block. N 72:
  // four 16-row panels and one of 8 (AVX-512), nine 8-row panels (AVX2); N 44: AVX2's last panel 4 rows; N 45: a last
  // panel of 13 (AVX-512) or 5 (AVX2) rows. M: decode 1–3, then 8 (AVX-512) or 4 (AVX2) at a time and the rest one
  // by one.
  const cases = [
    [1, 256, 72], [2, 256, 72], [3, 256, 72], [4, 256, 72], [13, 256, 72], [37, 256, 72], [1, 96, 44], [9, 96, 44],
    [1, 256, 45], [3, 256, 45], [1, 512, 72], [2, 512, 45], [3, 512, 44],
  ] as const;
  for (const io of ['fp32', 'fp16'] as const) {
    for (const [M, K, N] of cases) {
      it.each(paths)(`${io}, M ${M}, K ${K}, N ${N}, %s: the reference's products, and onnxruntime's within int8 rounding`, async (kernel) => {
        const { path, packed, scales } = model(K, N, io);
        const rnd = random(M * 7 + K);
        const input = Float32Array.from({ length: M * K }, () => rnd() * 3);
        const ours = await run(addon!, path, kernel, input, M, K);
        const ort = await run(addon!, path, false, input, M, K);
        expect(ours.length).toBe(M * N);
        // fp16: the kernel reads the activations as fp16 and rounds its products to fp16 (2⁻¹¹ relative).
        const want = reference(io === 'fp16' ? toHalf(input) : input, M, K, N, packed, scales);
        expect(relativeRms(ours, io === 'fp16' ? toHalf(Float32Array.from(want)) : want)).toBeLessThan(io === 'fp16' ? 1e-4 : 1e-6);
        expect(relativeRms(ours, ort)).toBeLessThan(2e-2);
      });
    }
  }

  it.each(paths)('%s: refuses a node it cannot run, by name, instead of computing something else', (kernel) => {
    for (const io of ['fp32', 'fp16'] as const) {
      const { path } = model(256, 16, io, 64);
      expect(() => new addon!.Session(path, { provider: 'cpu', int4Kernel: kernel })).toThrow(/Quire's int4 kernel runs 4-bit, block 32.*block 64/);
    }
  });
});

describe('which sessions get the int4 kernel', () => {
  const int4 = { precision: 'int4' } as const;
  it('CPU sessions of int4 models, unless QUIRE_INT4_KERNEL=onnxruntime; =avx2 picks a path', () => {
    expect(int4KernelWanted('cpu', int4, {})).toBe(true);
    expect(int4KernelWanted('cpu', int4, { QUIRE_INT4_KERNEL: 'quire' })).toBe(true);
    expect(int4KernelWanted('cpu', int4, { QUIRE_INT4_KERNEL: 'onnxruntime' })).toBe(false);
    expect(int4KernelWanted('cpu', int4, { QUIRE_INT4_KERNEL: 'avx2' })).toBe('avx2');
    expect(int4KernelWanted('cpu', int4, { QUIRE_INT4_KERNEL: 'avx512' })).toBe('avx512');
    expect(int4KernelWanted('webgpu', int4, { QUIRE_INT4_KERNEL: 'avx2' })).toBe(false);
    expect(int4KernelWanted('webgpu', int4, {})).toBe(false);
    expect(int4KernelWanted('cpu', { precision: 'fp16' }, {})).toBe(false);
    expect(int4KernelWanted('cpu', { precision: 'fp32' }, {})).toBe(false);
  });
  it('a QUIRE_INT4_KERNEL it does not know is refused in one line', () => {
    expect(() => int4KernelWanted('cpu', int4, { QUIRE_INT4_KERNEL: 'fast' })).toThrow(QuireError);
    expect(() => int4KernelWanted('cpu', int4, { QUIRE_INT4_KERNEL: 'fast' })).toThrow(/QUIRE_INT4_KERNEL wants quire, onnxruntime, avx512 or avx2, got "fast"/);
  });
});
