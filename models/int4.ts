// MatMulNBits weight format, 4 bits, symmetric (no zero_points input, so ORT's default zero point 8 applies):
// B uint8 [N, K/block, block/2] with element 2j of a block in the low nibble of byte j, scales [N·K/block].
// A block's largest-magnitude value maps to q = 0 (scale = vmax / −8), the same choice as ORT's own quantizer,
// which keeps the full [−8, 7] range in use.

export const INT4_BLOCK = 32;
export const INT4_ZERO_POINT = 8;

// Quantizes `rows` rows of K values each; `packed` receives rows·K/2 bytes and `scales` rows·K/block floats.
export function quantizeInt4Rows(src: Float32Array, rows: number, k: number, packed: Uint8Array, scales: Float32Array, block = INT4_BLOCK): void {
  const blocksPerRow = k / block;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocksPerRow; b++) {
      const base = r * k + b * block;
      let vmax = 0;
      for (let j = 0; j < block; j++) {
        const v = src[base + j];
        if (Math.abs(v) > Math.abs(vmax)) vmax = v;
      }
      const scale = Math.fround(vmax / -INT4_ZERO_POINT);
      const inv = scale === 0 ? 0 : 1 / scale;
      scales[r * blocksPerRow + b] = scale;
      const out = (r * k + b * block) / 2;
      for (let j = 0; j < block; j += 2) {
        const lo = Math.min(15, Math.max(0, Math.round(src[base + j] * inv) + INT4_ZERO_POINT));
        const hi = Math.min(15, Math.max(0, Math.round(src[base + j + 1] * inv) + INT4_ZERO_POINT));
        packed[out + j / 2] = lo | (hi << 4);
      }
    }
  }
}

export function dequantizeInt4Rows(packed: Uint8Array, scales: Float32Array, rows: number, k: number, block = INT4_BLOCK): Float32Array {
  const out = new Float32Array(rows * k);
  for (let i = 0; i < rows * k; i++) {
    const byte = packed[i >> 1];
    const q = i & 1 ? byte >> 4 : byte & 15;
    out[i] = (q - INT4_ZERO_POINT) * scales[Math.floor(i / block)];
  }
  return out;
}
