import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../electron/common/random.ts';
import { float32ToBf16, float32ToHalf } from '../../../models/float16.ts';
import { INT4_BLOCK } from '../../../models/int4.ts';
import type { SafeDtype } from '../../../models/safetensors.ts';
import { type CodecPath, jsWeightCodecs, nativeCodecPaths, nativeWeightCodecs } from '../../../models/weight-codecs.ts';

const native = nativeWeightCodecs();
// Every path this CPU runs, each held to the JavaScript bytes on its own.
const paths = nativeCodecPaths().map((path) => [path, nativeWeightCodecs({ path })!] as const);
const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const K = 4 * INT4_BLOCK;

function encode(values: Float32Array, dtype: SafeDtype): Uint8Array {
  if (dtype === 'F32') return bytes(values);
  return bytes(dtype === 'F16' ? float32ToHalf(values) : float32ToBf16(values));
}

// Blocks of K/INT4_BLOCK per row, each a case the rounding rules decide: halves with scale ±1 (ties round toward
// +∞ in JavaScript), all-zero and signed-zero blocks, a negative extreme and its positive twin first, values just
// beside the ties, denormals, infinities and NaN; the largest magnitude in either half of a block (AVX-512 holds
// a block in two vectors of 16), with its twin of the other sign before or after it.
function edgeRows(): Float32Array {
  const blocks: number[][] = [];
  const ramp = (f: (j: number) => number) => Array.from({ length: INT4_BLOCK }, (_, j) => f(j));
  blocks.push(ramp((j) => (j === 0 ? -8 : (j % 16) - 8 + 0.5)));
  blocks.push(ramp((j) => (j === 0 ? 8 : -((j % 16) - 8 + 0.5))));
  blocks.push(ramp(() => 0));
  blocks.push(ramp((j) => (j % 2 ? -0 : 0)));
  blocks.push(ramp((j) => (j === 3 ? -2 : j === 5 ? 2 : j / 32)));
  blocks.push(ramp((j) => (j === 0 ? -8 : (j % 8) - 4 + 0.5 - 2 ** -20)));
  blocks.push(ramp((j) => (j === 0 ? -8 : (j % 8) - 4 + 0.5 + 2 ** -20)));
  blocks.push(ramp((j) => (j % 3 - 1) * 2 ** -140 * (j + 1)));
  blocks.push(ramp((j) => (j % 5 - 2) * 2 ** -20 * (j + 1)));
  blocks.push(ramp((j) => (j === 7 ? Infinity : j === 9 ? -Infinity : j - 16)));
  blocks.push(ramp((j) => (j === 2 ? NaN : j - 16)));
  blocks.push(ramp((j) => (j % 2 ? NaN : 0)));
  blocks.push(ramp((j) => (j === 4 ? -Infinity : j % 3 ? NaN : 1)));
  blocks.push(ramp((j) => 65504 * (j % 2 ? -1 : 1) + j));
  blocks.push(ramp((j) => 1e30 * (j - 16)));
  blocks.push(ramp((j) => 2 ** -24 * (j - 16)));
  blocks.push(ramp((j) => (j === 20 ? -3 : j === 27 ? 3 : (j - 16) / 8)));
  blocks.push(ramp((j) => (j === 10 ? 3 : j === 26 ? -3 : (j - 16) / 8)));
  blocks.push(ramp((j) => (j === 15 ? 5 : j === 16 ? -5 : 0)));
  blocks.push(ramp((j) => (j === 31 ? -(2 ** -130) : j === 17 ? NaN : 0)));
  return Float32Array.from(blocks.flat());
}

function randomRaw(dtype: SafeDtype, values: number, seed: number): Uint8Array {
  const r = mulberry32(seed);
  const words = dtype === 'F32' ? new Uint32Array(values) : new Uint16Array(values);
  // Every bit pattern: NaNs with payloads and either sign, infinities, denormals and zeros turn up.
  for (let i = 0; i < values; i++) words[i] = Math.floor(r() * (dtype === 'F32' ? 2 ** 32 : 2 ** 16));
  return bytes(words);
}

function quantize(codecs: typeof jsWeightCodecs, raw: Uint8Array, dtype: SafeDtype, rows: number) {
  const packed = new Uint8Array((rows * K) / 2);
  const scales = new Float32Array((rows * K) / INT4_BLOCK);
  codecs.quantizeInt4(raw, dtype, rows, K, packed, scales);
  return { packed, scales: bytes(scales) };
}

function half(codecs: typeof jsWeightCodecs, raw: Uint8Array, dtype: SafeDtype, values: number): Uint16Array {
  const dst = new Uint16Array(values);
  codecs.toFloat16(raw, dtype, dst);
  return dst;
}

describe.skipIf(!native)('native weight codecs give the JavaScript bytes', () => {
  const edges = edgeRows();
  const edgeRowCount = edges.length / K;
  for (const dtype of ['BF16', 'F16', 'F32'] as const) {
    it(`int4 of ${dtype}: edge cases and random bit patterns`, () => {
      const rows = 256;
      const r = mulberry32(11);
      const cases: [Uint8Array, number][] = [
        [encode(edges, dtype), edgeRowCount],
        [randomRaw(dtype, rows * K, 7), rows],
        // Finite values as a checkpoint holds them.
        [encode(Float32Array.from({ length: rows * K }, () => (r() - 0.5) * 0.1), dtype), rows],
      ];
      for (const [raw, n] of cases) {
        const expected = quantize(jsWeightCodecs, raw, dtype, n);
        for (const [path, codecs] of paths) expect(quantize(codecs, raw, dtype, n), path).toEqual(expected);
      }
    });

    it(`half of ${dtype}: edge cases and random bit patterns`, () => {
      // 1 << 16 + 3 values: a tail shorter than the vector width.
      for (const [raw, n] of [[encode(edges, dtype), edges.length], [randomRaw(dtype, (1 << 16) + 3, 13), (1 << 16) + 3]] as const) {
        const expected = half(jsWeightCodecs, raw, dtype, n);
        for (const [path, codecs] of paths) expect(half(codecs, raw, dtype, n), path).toEqual(expected);
      }
    });
  }

  it('runs the widest path this CPU has, and refuses one it lacks', () => {
    const flags = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
    const want = / avx512f /.test(flags) ? 'avx512' : / avx2 /.test(flags) ? 'avx2' : null;
    if (want && process.arch === 'x64') expect(nativeCodecPaths()[0]).toBe(want);
    expect(nativeCodecPaths().at(-1)).toBe('portable');
    const unknown = nativeWeightCodecs({ path: 'neon' as CodecPath })!;
    expect(() => unknown.toFloat16(new Uint8Array(2), 'BF16', new Uint16Array(1))).toThrow(/codec path neon is not one this CPU runs/);
  });

  it('refuses buffers that do not fit the rows', () => {
    expect(() => native!.quantizeInt4(new Uint8Array(10), 'BF16', 1, K, new Uint8Array(K / 2), new Float32Array(4))).toThrow(/do not fit/);
    expect(() => native!.toFloat16(new Uint8Array(2), 'F32', new Uint16Array(1))).toThrow(/shorter/);
  });
});
