// GGUF Q4_0 (ggml's block_q4_0) from Quire's int4 blocks (int4.ts). Both are blocks of 32 values with one
// scale and q = round(value / scale) + 8 in four bits, and both pick the scale as the block's largest-magnitude
// value over −8, so the q values carry over unchanged. Two things differ:
// - the scale: Q4_0 stores it as fp16 `d`; Quire keeps it in the graph's io dtype (float32 for an fp32-io model,
//   where rounding it to fp16 moves each value by |q − 8|·|scale − fp16(scale)|: ScaleRounding measures that).
// - the nibble order: Q4_0's byte j holds elements j (low) and j + 16 (high); Quire's holds 2j and 2j + 1.
import { float32ToHalfBits, halfBitsToFloat32Table } from './float16.ts';
import { INT4_BLOCK, INT4_ZERO_POINT } from './int4.ts';

const HALF_BLOCK = INT4_BLOCK / 2;
export const Q4_0_BLOCK_BYTES = 2 + HALF_BLOCK;

// What rounding the scales to fp16 did to the dequantized weights (absolute, and relative to the block's scale).
export class ScaleRounding {
  values = 0;
  sumAbs = 0;
  maxAbs = 0;
  maxRelative = 0;

  get meanAbs(): number {
    return this.values === 0 ? 0 : this.sumAbs / this.values;
  }
}

// `scales.length` blocks: `packed` holds 16 bytes per block (Quire's order), the result 18 (Q4_0's).
export function q4_0FromInt4(packed: Uint8Array, scales: Float32Array, rounding?: ScaleRounding): Uint8Array {
  const half = halfBitsToFloat32Table();
  const out = new Uint8Array(scales.length * Q4_0_BLOCK_BYTES);
  const q = new Uint8Array(INT4_BLOCK);
  for (let b = 0; b < scales.length; b++) {
    const from = b * HALF_BLOCK;
    for (let j = 0; j < HALF_BLOCK; j++) {
      q[2 * j] = packed[from + j] & 15;
      q[2 * j + 1] = packed[from + j] >> 4;
    }
    const bits = float32ToHalfBits(scales[b]);
    const at = b * Q4_0_BLOCK_BYTES;
    out[at] = bits & 0xff;
    out[at + 1] = bits >> 8;
    for (let j = 0; j < HALF_BLOCK; j++) out[at + 2 + j] = q[j] | (q[j + HALF_BLOCK] << 4);
    if (rounding) {
      const delta = Math.abs(scales[b] - half[bits]);
      let levels = 0;
      let widest = 0;
      for (let j = 0; j < INT4_BLOCK; j++) {
        const level = Math.abs(q[j] - INT4_ZERO_POINT);
        levels += level;
        widest = Math.max(widest, level);
      }
      rounding.values += INT4_BLOCK;
      rounding.sumAbs += levels * delta;
      rounding.maxAbs = Math.max(rounding.maxAbs, widest * delta);
      if (scales[b] !== 0) rounding.maxRelative = Math.max(rounding.maxRelative, delta / Math.abs(scales[b]));
    }
  }
  return out;
}
