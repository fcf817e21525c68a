// Why a kernel of our own: on AVX-512 VNNI onnxruntime 1.30's MatMulNBits runs block-32 weights at about a third
// of the int8 peak (210 GOP/s on 2 cores), and llama.cpp read a prompt 1.6× faster on the same Q4_0 weights
// (docs/benchmarks.md, "Quire's own int4 kernel"). The product here keeps a weight row in each int32 lane of a
// register, so one VPDPBUSD does 64 multiply-adds with no horizontal sums and each block needs one conversion to
// float per register of outputs (the layout ik_llama.cpp's repacked quants use, built here on the fly from the stored
// blocks, so the weights in memory stay the ones onnxruntime and GGUF read). The kernel is written once
// (q4_kernels.inc) and built for AVX-512 VNNI and for AVX2, so CPUs without AVX-512 — most desktop ones — take it too.
#include "q4_gemm.h"
#include "cpu_kernel_values.h"

// GCC/Clang on x86-64 only: the kernels pick their instruction set per function and are dispatched at run time.
#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12 warns inside its own intrinsics (the deliberately undefined source of _mm512_permutexvar_ps and
// _mm512_inserti64x4 and others), not about this file's values.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace quire {

namespace {

constexpr int kZeroPoint = 8;
// Below this many activation rows the product reads each weight once (decode): no repacking.
constexpr int64_t kRepackRows = 4;

}  // namespace

// ---- AVX-512 VNNI: 16 int32 lanes, one VPDPBUSD per 4-value quad of 16 weight rows ---------------------------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,fma,avx2,f16c")
namespace q4_avx512 {
namespace {

#include "simd_vec_avx512.inc"

using IVec = __m512i;
inline Vec Abs(Vec v) { return _mm512_abs_ps(v); }
inline IVec ZeroI() { return _mm512_setzero_si512(); }
inline IVec Set1I(int32_t v) { return _mm512_set1_epi32(v); }
inline IVec LoadI(const void* p) { return _mm512_loadu_si512(p); }
inline IVec AddI(IVec a, IVec b) { return _mm512_add_epi32(a, b); }
inline int32_t ReduceAddI(IVec v) { return _mm512_reduce_add_epi32(v); }
inline IVec RoundToInt(Vec v) { return _mm512_cvtps_epi32(v); }
inline Vec ToFloats(IVec v) { return _mm512_cvtepi32_ps(v); }
// The lanes' values (within ±127 here) as kLanes bytes.
inline void StoreInt8(int8_t* p, IVec v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtsepi32_epi8(v)); }
// A block's dot products (q4_kernels.inc's Dot): VPDPBUSD adds each lane's 4 products of unsigned bytes of `u` by
// signed bytes of `s` straight into the int32 sums.
inline IVec DotBegin(IVec acc) { return acc; }
inline IVec DotAdd(IVec part, IVec u, IVec s) { return _mm512_dpbusd_epi32(part, u, s); }
inline IVec DotEnd(IVec, IVec part) { return part; }
template <typename T>
inline void StoreRows(T* p, int64_t rows, Vec v) {
  Store16(p, rows == kLanes ? 0xFFFF : static_cast<__mmask16>((1u << rows) - 1), v);
}

// Two blocks (32 bytes) as [low nibbles of both | high nibbles of both].
inline IVec Nibbles(const uint8_t* src) {
  const __m256i low = _mm256_set1_epi8(15);
  const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
  const __m256i lo = _mm256_and_si256(bytes, low), hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low);
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}
// Two consecutive scales in lanes 0 and 1.
inline __m128 LoadPair(const float* p) { return _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(p))); }
inline __m128 LoadPair(const Half* p) {
  int32_t bits;
  std::memcpy(&bits, p, 4);
  return _mm_cvtph_ps(_mm_cvtsi32_si128(bits));
}
// Which of Nibbles' two blocks each lane holds: the first in lanes 0–3 and 8–11, the second in 4–7 and 12–15.
inline __m512i BlockOfLane() { return _mm512_set_epi32(1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0); }
// Each lane's block's scale, from the two blocks' scales.
template <typename T>
inline Vec BlockScales(const T* ws) { return _mm512_permutexvar_ps(BlockOfLane(), _mm512_castps128_ps512(LoadPair(ws))); }
// The same for two blocks' int32s.
inline IVec BlockInts(const int32_t* p) {
  return _mm512_permutexvar_epi32(BlockOfLane(), _mm512_castsi128_si512(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// Decode's dot products of 16 blocks (q4_kernels.inc's DecodeRow): a register holds two blocks (Nibbles:
// [A | B | A | B] by 128 bits), so pairs of registers are first folded to one block a 128-bit lane, then four such
// registers transposed and added to one block an int32 lane.
template <int MR>
inline void BlockDots(const uint8_t* src, const int8_t* pairs, int64_t blocks, int64_t b, IVec sums[MR]) {
  // The transposes leave block 4m + k in lane 4k + m; lane i takes it back from lane 4(i mod 4) + i/4.
  const __m512i blockOrder = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  // Two blocks' int32 lanes of activation row r (lanes 0–3 and 8–11 block A, 4–7 and 12–15 block B).
  const auto dot = [&](const __m512i w, int r, int64_t block) {
    return _mm512_dpbusd_epi32(_mm512_setzero_si512(), w, LoadI(pairs + (r * blocks + block) * kQ4Block));
  };
  // quads[r][m]: blocks b + 4m .. b + 4m + 3, one a 128-bit lane.
  __m512i quads[MR][4];
#pragma GCC unroll 4
  for (int m = 0; m < 4; m++) {
    const int64_t block = b + 4 * m;
    const __m512i w0 = Nibbles(src + block * 16), w1 = Nibbles(src + (block + 2) * 16);
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) {
      const __m512i d0 = dot(w0, r, block), d1 = dot(w1, r, block + 2);
      quads[r][m] = _mm512_add_epi32(_mm512_shuffle_i32x4(d0, d1, 0x44), _mm512_shuffle_i32x4(d0, d1, 0xEE));
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++) {
    const __m512i* q = quads[r];
    const __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(q[0], q[1]), _mm512_unpackhi_epi32(q[0], q[1]));
    const __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(q[2], q[3]), _mm512_unpackhi_epi32(q[2], q[3]));
    sums[r] = _mm512_permutexvar_epi32(blockOrder, _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23)));
  }
}
// 16 full rows at a time in registers: each row's 16-byte block is 8 16-bit words, word g holding the values
// of quad g; the words g of all 16 rows are gathered (two rows' words g and g+1 per permute pair) and each
// word's two bytes spread to four nibbles.
void RepackFull(const uint8_t* B, int64_t K, int64_t n0, uint8_t* out) {
  const int64_t blocks = K / kQ4Block;
  const int64_t stride = K / 2;
  // Word index into two registers of 4 rows (8 words a row): words g and g+1 of rows 0–3 then 4–7, laid out
  // as [g rows 0–7 | (rows 8–15: from the other pair) | g+1 rows 0–7 | (other)].
  alignas(64) uint16_t index[4][32];
  for (int pair = 0; pair < 4; pair++) {
    for (int half = 0; half < 2; half++) {
      for (int r = 0; r < 16; r++) {
        const int g = pair * 2 + half;
        const int row = r % 8;  // within the pair of registers that holds it
        index[pair][half * 16 + r] = static_cast<uint16_t>((row / 4) * 32 + (row % 4) * 8 + g);
      }
    }
  }
  // Within each 16-byte lane, dword k = [byte 4k, byte 4k, byte 4k+1, byte 4k+1].
  alignas(64) uint8_t spreadBytes[64];
  for (int i = 0; i < 64; i++) spreadBytes[i] = static_cast<uint8_t>((i % 16) / 4 * 4 + (i % 4) / 2);
  const __m512i spread = _mm512_load_si512(spreadBytes);
  const __m512i low = _mm512_set1_epi8(15);
  for (int64_t b = 0; b < blocks; b++) {
    __m512i z[4];
    for (int t = 0; t < 4; t++) {
      const uint8_t* row = B + (n0 + 4 * t) * stride + b * 16;
      __m512i v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row)));
      v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + stride)), 1);
      v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * stride)), 2);
      z[t] = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 3 * stride)), 3);
    }
    for (int pair = 0; pair < 4; pair++) {
      const __m512i idx = _mm512_load_si512(index[pair]);
      // Rows 0–7 from z0/z1 into lanes 0–7 (and 16–23), rows 8–15 from z2/z3 into lanes 8–15 (and 24–31).
      const __m512i words = _mm512_mask_blend_epi16(0xFF00FF00u, _mm512_permutex2var_epi16(z[0], idx, z[1]), _mm512_permutex2var_epi16(z[2], idx, z[3]));
      for (int half = 0; half < 2; half++) {
        const __m256i w16 = half ? _mm512_extracti64x4_epi64(words, 1) : _mm512_castsi512_si256(words);
        // Each 16-bit word to 4 bytes [lo, lo, hi, hi] of its row's lane, then nibbles: even bytes keep the
        // low nibble, odd bytes take the high one.
        const __m512i bytes = _mm512_shuffle_epi8(_mm512_cvtepu16_epi32(w16), spread);
        const __m512i nib = _mm512_and_si512(_mm512_mask_blend_epi8(0xAAAAAAAAAAAAAAAAull, bytes, _mm512_srli_epi16(bytes, 4)), low);
        _mm512_storeu_si512(out + ((b * 8 + pair * 2 + half) * kLanes) * 4, nib);
      }
    }
  }
}

#include "q4_kernels.inc"

}  // namespace
}  // namespace q4_avx512
#pragma GCC pop_options

// ---- AVX2 (with FMA and F16C): 8 int32 lanes; VPMADDUBSW then VPMADDWD stand for VPDPBUSD -----------------------
#pragma GCC push_options
#pragma GCC target("fma,avx2,f16c")
namespace q4_avx2 {
namespace {

#include "simd_vec_avx2.inc"

using IVec = __m256i;
inline Vec Abs(Vec v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
inline IVec ZeroI() { return _mm256_setzero_si256(); }
inline IVec Set1I(int32_t v) { return _mm256_set1_epi32(v); }
inline IVec LoadI(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline IVec AddI(IVec a, IVec b) { return _mm256_add_epi32(a, b); }
inline int32_t ReduceAddI(IVec v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, 1)));
}
inline IVec RoundToInt(Vec v) { return _mm256_cvtps_epi32(v); }
inline Vec ToFloats(IVec v) { return _mm256_cvtepi32_ps(v); }
// The lanes' values (within ±127 here) as kLanes bytes, saturating as AVX-512's VPMOVSDB does.
inline void StoreInt8(int8_t* p, IVec v) {
  const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packs_epi16(words, words));
}
// A block's dot products (q4_kernels.inc's Dot): VPMADDUBSW multiplies unsigned bytes of `u` by signed bytes of `s`
// and adds pairs into int16, which DotAdd sums over the block's quads; DotEnd widens each lane's pairs to int32
// with one VPMADDWD per block instead of one per quad, which halves the multiplies. Neither saturates: weights are
// nibbles (0–15) and activations within ±127, so a pair is at most 2·15·127 = 3810 and a block's 8 at most 30,480.
static_assert(kQ4Block / 4 * 2 * 15 * 127 <= INT16_MAX, "a block's int16 sums cannot saturate");
inline IVec DotBegin(IVec) { return _mm256_setzero_si256(); }
inline IVec DotAdd(IVec part, IVec u, IVec s) {
  IVec sum = _mm256_add_epi16(part, _mm256_maddubs_epi16(u, s));
  // Each sum made a register here (the empty asm): without it GCC 12 regroups a panel's int16 adds into trees of its
  // own, keeps a block's 32 products live in 16 registers and spills them to the stack, 1.3-1.5x slower.
  asm("" : "+x"(sum));
  return sum;
}
inline IVec DotEnd(IVec acc, IVec part) { return _mm256_add_epi32(acc, _mm256_madd_epi16(part, _mm256_set1_epi16(1))); }
inline void StoreRows(float* p, int64_t rows, Vec v) {
  if (rows == kLanes) return _mm256_storeu_ps(p, v);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rows)), lane), v);
}
inline void StoreRows(Half* p, int64_t rows, Vec v) {
  const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  if (rows == kLanes) return _mm_storeu_si128(reinterpret_cast<__m128i*>(p), h);
  alignas(16) Half all[kLanes];
  _mm_store_si128(reinterpret_cast<__m128i*>(all), h);
  std::memcpy(p, all, static_cast<size_t>(rows) * sizeof(Half));
}

// One block (16 bytes) as [low nibbles | high nibbles].
inline IVec Nibbles(const uint8_t* src) {
  const __m128i low = _mm_set1_epi8(15);
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(bytes, 4), low), _mm_and_si128(bytes, low));
}
// Nibbles' one block's scale in every lane.
template <typename T>
inline Vec BlockScales(const T* ws) { return Set1(ToFloat(*ws)); }
inline IVec BlockInts(const int32_t* p) { return Set1I(*p); }

// Decode's dot products of 8 blocks (q4_kernels.inc's DecodeRow): a block fills a register (32 values, 4 a lane), and
// 8 blocks' lanes are summed across with horizontal adds as they come.
template <int MR>
inline void BlockDots(const uint8_t* src, const int8_t* pairs, int64_t blocks, int64_t b, IVec sums[MR]) {
  const __m256i ones = _mm256_set1_epi16(1);
  // A block's 8 int32 lanes of activation row r: each 4 products.
  const auto dot = [&](const __m256i w, int r, int64_t block) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(w, LoadI(pairs + (r * blocks + block) * kQ4Block)), ones);
  };
  // quads[r][h]: per 128-bit half, that half's share of blocks b + 4h .. b + 4h + 3, one a lane.
  __m256i quads[MR][2];
#pragma GCC unroll 2
  for (int h = 0; h < 2; h++) {
    __m256i twos[MR][2];
#pragma GCC unroll 2
    for (int p = 0; p < 2; p++) {
      const int64_t block = b + 4 * h + 2 * p;
      const __m256i w0 = Nibbles(src + block * 16), w1 = Nibbles(src + (block + 1) * 16);
#pragma GCC unroll 4
      for (int r = 0; r < MR; r++) twos[r][p] = _mm256_hadd_epi32(dot(w0, r, block), dot(w1, r, block + 1));
    }
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) quads[r][h] = _mm256_hadd_epi32(twos[r][0], twos[r][1]);
  }
  // The two halves' shares added.
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++) sums[r] = _mm256_add_epi32(_mm256_permute2x128_si256(quads[r][0], quads[r][1], 0x20), _mm256_permute2x128_si256(quads[r][0], quads[r][1], 0x31));
}
// 8 full rows, a block at a time: rows r and r+4 share a register (one per 128-bit half), whose block's nibbles
// interleaved give its 32 values in order, quads 0–3 in one register and 4–7 in another; a 4×4 transpose of 32-bit
// quads within each half then leaves quad g of rows 0–3 | 4–7 together, which is the panel's layout.
void RepackFull(const uint8_t* B, int64_t K, int64_t n0, uint8_t* out) {
  const int64_t blocks = K / kQ4Block;
  const int64_t stride = K / 2;
  const __m256i low = _mm256_set1_epi8(15);
  for (int64_t b = 0; b < blocks; b++) {
    __m256i quads[2][4];  // [quads 0–3 | 4–7][rows r and r+4]
    for (int r = 0; r < 4; r++) {
      const uint8_t* row = B + (n0 + r) * stride + b * 16;
      const __m256i bytes = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(row + 4 * stride), reinterpret_cast<const __m128i*>(row));
      const __m256i lo = _mm256_and_si256(bytes, low), hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low);
      quads[0][r] = _mm256_unpacklo_epi8(lo, hi);
      quads[1][r] = _mm256_unpackhi_epi8(lo, hi);
    }
    for (int h = 0; h < 2; h++) {
      const __m256i* q = quads[h];
      const __m256i t0 = _mm256_unpacklo_epi32(q[0], q[1]), t1 = _mm256_unpackhi_epi32(q[0], q[1]);
      const __m256i t2 = _mm256_unpacklo_epi32(q[2], q[3]), t3 = _mm256_unpackhi_epi32(q[2], q[3]);
      const __m256i g[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2), _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
      for (int k = 0; k < 4; k++) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ((b * 8 + h * 4 + k) * kLanes) * 4), g[k]);
    }
  }
}

#include "q4_kernels.inc"

}  // namespace
}  // namespace q4_avx2
#pragma GCC pop_options

bool Q4GemmSupported(SimdPath path) {
  if (path == SimdPath::kAvx512) return SimdPathSupported(path) && __builtin_cpu_supports("avx512vnni");
  return path == SimdPath::kAvx2 && SimdPathSupported(path);
}

size_t Q4GemmScratchBytes(int64_t M, int64_t K) {
  // The decode layout (Quantized::pairs, corr8) whenever either path might take it.
  const int64_t blocks = M * (K / kQ4Block);
  return static_cast<size_t>(blocks * (sizeof(float) + sizeof(int32_t)) + M * K + (M < kRepackRows ? M * K + blocks * sizeof(int32_t) : 0));
}

void Q4Gemm(SimdPath path, Q4Io io, const void* A, int64_t M, int64_t K, const uint8_t* B, const void* scales, int64_t N,
            void* Y, void* scratch, ParallelFor parallel, void* parallelCtx) {
  if (path == SimdPath::kAvx512) q4_avx512::Run(io, A, M, K, B, scales, N, Y, scratch, parallel, parallelCtx);
  else q4_avx2::Run(io, A, M, K, B, scales, N, Y, scratch, parallel, parallelCtx);
}

}  // namespace quire

#else

namespace quire {
bool Q4GemmSupported(SimdPath) { return false; }
size_t Q4GemmScratchBytes(int64_t, int64_t) { return 0; }
void Q4Gemm(SimdPath, Q4Io, const void*, int64_t, int64_t, const uint8_t*, const void*, int64_t, void*, void*, ParallelFor, void*) {}
}  // namespace quire

#endif
