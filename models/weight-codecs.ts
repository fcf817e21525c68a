// Checkpoint bytes (F32, F16 or BF16) straight to what a converted model stores: int4 blocks and their scales,
// half, or float32. The native addon (native/src/weight_codecs.cc) does the first two several times faster than
// JavaScript and gives the same bytes; without it (not built, or QUIRE_CONVERT_NATIVE=0) the JavaScript path runs.
import { bf16ToFloat32, float32ToHalf, halfToFloat32 } from './float16.ts';
import { converterAddon } from './native-addon-file.ts';
import { quantizeInt4Rows } from './int4.ts';
import type { SafeDtype } from './safetensors.ts';

export interface WeightCodecs {
  // `raw` holds rows·k values; `packed` receives rows·k/2 bytes and `scales` rows·k/INT4_BLOCK floats.
  quantizeInt4(raw: Uint8Array, dtype: SafeDtype, rows: number, k: number, packed: Uint8Array, scales: Float32Array): void;
  // Fills all of `dst` from the first dst.length values of `raw`.
  toFloat16(raw: Uint8Array, dtype: SafeDtype, dst: Uint16Array): void;
}

// `raw` starts on an even byte (chunks from Checkpoint do).
export function toFloat32(raw: Uint8Array, dtype: SafeDtype, dst: Float32Array): Float32Array {
  const n = dst.length;
  if (dtype === 'F32') {
    new Uint8Array(dst.buffer, dst.byteOffset, n * 4).set(raw.subarray(0, n * 4));
    return dst;
  }
  const halves = new Uint16Array(raw.buffer, raw.byteOffset, n);
  return dtype === 'F16' ? halfToFloat32(halves, dst) : bf16ToFloat32(halves, dst);
}

export const jsWeightCodecs: WeightCodecs = {
  quantizeInt4(raw, dtype, rows, k, packed, scales) {
    quantizeInt4Rows(toFloat32(raw, dtype, new Float32Array(rows * k)), rows, k, packed, scales);
  },
  toFloat16(raw, dtype, dst) {
    float32ToHalf(toFloat32(raw, dtype, new Float32Array(dst.length)), dst);
  },
};

// The codes native/src/weight_codecs.cc takes.
const NATIVE_DTYPE: Record<SafeDtype, number> = { F32: 0, F16: 1, BF16: 2 };

// The addon's code paths (native/src/weight_codecs.cc), widest first.
export type CodecPath = 'avx512' | 'avx2' | 'portable';

interface NativeCodecs {
  quantizeInt4(raw: Uint8Array, dtype: number, rows: number, k: number, packed: Uint8Array, scales: Float32Array, path?: CodecPath): void;
  toFloat16(raw: Uint8Array, dtype: number, dst: Uint16Array, path?: CodecPath): void;
  codecPaths(): CodecPath[];
}

function loadAddon(): NativeCodecs | null {
  const loaded = converterAddon() as Partial<NativeCodecs> | null;
  return loaded && typeof loaded.quantizeInt4 === 'function' && typeof loaded.toFloat16 === 'function' && typeof loaded.codecPaths === 'function' ? (loaded as NativeCodecs) : null;
}

// The paths this CPU runs, widest first (empty without the addon).
export function nativeCodecPaths(): CodecPath[] {
  return loadAddon()?.codecPaths() ?? [];
}

// The addon's codecs, or null where it is not built or predates them. Without `path` the widest this CPU runs;
// naming one is for the test that holds every path to the same bytes.
export function nativeWeightCodecs(options: { path?: CodecPath } = {}): WeightCodecs | null {
  const native = loadAddon();
  if (!native) return null;
  const { path } = options;
  return {
    quantizeInt4: (raw, dtype, rows, k, packed, scales) => native.quantizeInt4(raw, NATIVE_DTYPE[dtype], rows, k, packed, scales, path),
    toFloat16: (raw, dtype, dst) => native.toFloat16(raw, NATIVE_DTYPE[dtype], dst, path),
  };
}

export function weightCodecs(): WeightCodecs {
  return (process.env.QUIRE_CONVERT_NATIVE !== '0' && nativeWeightCodecs()) || jsWeightCodecs;
}
