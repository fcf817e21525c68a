// Why a kernel of our own: on AVX-512 VNNI onnxruntime 1.30's MatMulNBits runs block-32 weights at about a third
// of the int8 peak (210 GOP/s on 2 cores), and llama.cpp read a prompt 1.6× faster on the same Q4_0 weights
// (docs/benchmarks.md, "Quire's own int4 kernel"). The product here keeps 16 weight rows in the 16 int32 lanes
// of a register, so one VPDPBUSD does 64 multiply-adds with no horizontal sums and each block needs one
// conversion to float per 16 outputs (the layout ik_llama.cpp's repacked quants use, built here on the fly from
// the stored blocks, so the weights in memory stay the ones onnxruntime and GGUF read).
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

// The instruction sets every function here may use; Q4GemmSupported checks the CPU has them before any runs.
#define Q4_KERNEL_ISA __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma,avx2,f16c")))

constexpr int64_t kGroup = 16;          // weight rows per register (16 int32 lanes)
constexpr int64_t kQuads = kQ4Block / 4;  // 4-value groups per block, one VPDPBUSD each
constexpr int kZeroPoint = 8;
// Below this many activation rows the product reads each weight once (decode): no repacking.
constexpr int64_t kRepackRows = 4;

struct Quantized {
  int8_t* q;       // [M, K]
  float* d;        // [M, K/32] scale of each block
  int32_t* corr;   // [M, K/32] −8·Σq: the zero point taken out of the unsigned weights' dot product
  // Decode only (M < kRepackRows): each pair of blocks as DirectRow's unpacking orders the weights — the even
  // values of both blocks, then the odd ones — with each lane's scale and share of the correction.
  int8_t* pairs;     // [M, K]
  float* pairD;      // [M, K/4]
  int32_t* pairCorr; // [M, K/4]
};

bool Direct(int64_t M, int64_t K) { return M < kRepackRows && (K / kQ4Block) % 2 == 0; }

// Two consecutive scales in lanes 0 and 1.
Q4_KERNEL_ISA inline __m128 LoadPair(const float* p) {
  return _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(p)));
}
Q4_KERNEL_ISA inline __m128 LoadPair(const Half* p) {
  int32_t bits;
  std::memcpy(&bits, p, 4);
  return _mm_cvtph_ps(_mm_cvtsi32_si128(bits));
}

Quantized Layout(void* scratch, int64_t M, int64_t K) {
  auto* at = static_cast<uint8_t*>(scratch);
  const int64_t blocks = M * (K / kQ4Block);
  Quantized a{};
  a.d = reinterpret_cast<float*>(at);
  a.corr = reinterpret_cast<int32_t*>(at += blocks * sizeof(float));
  a.q = reinterpret_cast<int8_t*>(at += blocks * sizeof(int32_t));
  if (!Direct(M, K)) return a;
  a.pairD = reinterpret_cast<float*>(at += M * K);
  a.pairCorr = reinterpret_cast<int32_t*>(at += M * K);
  a.pairs = reinterpret_cast<int8_t*>(at += M * K);
  return a;
}

// DirectRow's order of a row (see Quantized::pairs).
void PairRow(const int8_t* q, const float* d, const int32_t* corr, int64_t K, int8_t* pairs, float* pairD, int32_t* pairCorr) {
  for (int64_t b = 0; b < K / kQ4Block; b += 2) {
    int8_t* out = pairs + b * kQ4Block;
    for (int odd = 0; odd < 2; odd++)
      for (int blk = 0; blk < 2; blk++)
        for (int j = 0; j < 16; j++) out[(odd * 2 + blk) * 16 + j] = q[(b + blk) * kQ4Block + 2 * j + odd];
    for (int lane = 0; lane < 16; lane++) {
      const int64_t blk = b + (lane / 4) % 2;
      pairD[b * 8 + lane] = d[blk];
      pairCorr[b * 8 + lane] = corr[blk] / 8;
    }
  }
}

template <typename T>
Q4_KERNEL_ISA
void QuantizeRow(const T* x, int64_t K, int8_t* q, float* d, int32_t* corr) {
  for (int64_t b = 0; b < K / kQ4Block; b++) {
    const __m512 lo = Load16(x + b * kQ4Block);
    const __m512 hi = Load16(x + b * kQ4Block + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(lo), _mm512_abs_ps(hi)));
    const float scale = amax / 127.0f;
    const __m512 inv = _mm512_set1_ps(amax > 0 ? 127.0f / amax : 0.0f);
    const __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, inv));
    const __m512i qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, inv));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * kQ4Block), _mm512_cvtsepi32_epi8(qlo));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * kQ4Block + 16), _mm512_cvtsepi32_epi8(qhi));
    d[b] = scale;
    corr[b] = -kZeroPoint * _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
  }
}

// One group's weights as VPDPBUSD wants them: per block and 4-value quad, 16 rows × 4 unsigned bytes.
struct Panel {
  std::vector<uint8_t> w;  // [K/32][8][16 rows][4]
  std::vector<float> s;    // [K/32][16]
};

// 16 full rows at a time in registers: each row's 16-byte block is 8 16-bit words, word g holding the values
// of quad g; the words g of all 16 rows are gathered (two rows' words g and g+1 per permute pair) and each
// word's two bytes spread to four nibbles.
Q4_KERNEL_ISA
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
        _mm512_storeu_si512(out + ((b * kQuads + pair * 2 + half) * kGroup) * 4, nib);
      }
    }
  }
}

template <typename T>
void Repack(const uint8_t* B, const T* scales, int64_t K, int64_t n0, int64_t rows, Panel& p) {
  const int64_t blocks = K / kQ4Block;
  p.w.resize(static_cast<size_t>(blocks * kQuads * kGroup * 4));
  p.s.assign(static_cast<size_t>(blocks * kGroup), 0.0f);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t b = 0; b < blocks; b++) p.s[b * kGroup + r] = ToFloat(scales[(n0 + r) * blocks + b]);
  if (rows == kGroup) return RepackFull(B, K, n0, p.w.data());
  std::fill(p.w.begin(), p.w.end(), 0);
  for (int64_t r = 0; r < rows; r++) {
    const uint8_t* src = B + (n0 + r) * (K / 2);
    for (int64_t b = 0; b < blocks; b++) {
      for (int64_t g = 0; g < kQuads; g++) {
        const uint8_t b0 = src[b * 16 + 2 * g], b1 = src[b * 16 + 2 * g + 1];
        uint8_t* dst = &p.w[((b * kQuads + g) * kGroup + r) * 4];
        dst[0] = b0 & 15;
        dst[1] = b0 >> 4;
        dst[2] = b1 & 15;
        dst[3] = b1 >> 4;
      }
    }
  }
}

template <int RM, typename T>
Q4_KERNEL_ISA
void PanelRows(const Panel& p, const Quantized& a, int64_t i0, int64_t K, int64_t N, int64_t n0, int64_t rows, T* Y) {
  const int64_t blocks = K / kQ4Block;
  const __m512i* w = reinterpret_cast<const __m512i*>(p.w.data());
  const int8_t* q[RM];
  const float* d[RM];
  const int32_t* corr[RM];
  __m512 acc[RM];
#pragma GCC unroll 8
  for (int r = 0; r < RM; r++) {
    q[r] = a.q + (i0 + r) * K;
    d[r] = a.d + (i0 + r) * blocks;
    corr[r] = a.corr + (i0 + r) * blocks;
    acc[r] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < blocks; b++) {
    __m512i dot[RM];
#pragma GCC unroll 8
    for (int r = 0; r < RM; r++) dot[r] = _mm512_set1_epi32(corr[r][b]);
#pragma GCC unroll 8
    for (int64_t g = 0; g < kQuads; g++) {
      const __m512i wg = _mm512_loadu_si512(w + b * kQuads + g);
#pragma GCC unroll 8
      for (int r = 0; r < RM; r++) {
        int32_t quad;
        std::memcpy(&quad, q[r] + b * kQ4Block + 4 * g, 4);
        dot[r] = _mm512_dpbusd_epi32(dot[r], wg, _mm512_set1_epi32(quad));
      }
    }
    const __m512 ws = _mm512_loadu_ps(p.s.data() + b * kGroup);
#pragma GCC unroll 8
    for (int r = 0; r < RM; r++) acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[r]), _mm512_mul_ps(ws, _mm512_set1_ps(d[r][b])), acc[r]);
  }
  const __mmask16 mask = rows == kGroup ? 0xFFFF : static_cast<__mmask16>((1u << rows) - 1);
#pragma GCC unroll 8
  for (int r = 0; r < RM; r++) Store16(Y + (i0 + r) * N + n0, mask, acc[r]);
}

// Decode: each weight block is unpacked once and used by the few activation rows there are, two blocks per
// register: the low nibbles of both (their even values), then the high ones (odd values). The activations were
// stored in that order (Quantized::pairs), so the weights need no shuffle: lanes 0–3 and 8–11 hold the first
// block, 4–7 and 12–15 the second.
template <int MR, typename T>
Q4_KERNEL_ISA
void DirectRow(const uint8_t* B, const T* scales, const Quantized& a, int64_t K, int64_t N, int64_t n, T* Y) {
  const int64_t blocks = K / kQ4Block;
  const uint8_t* src = B + n * (K / 2);
  const T* ws = scales + n * blocks;
  const __m256i low = _mm256_set1_epi8(15);
  const __m512i pairScale = _mm512_set_epi32(1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0);
  // Two sums per row, alternating pairs, so consecutive multiply-adds do not wait on each other.
  __m512 acc[MR][2];
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; b += 4) {
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
      const int64_t pb = b + 2 * h;
      if (pb >= blocks) break;
      const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + pb * 16));
      const __m256i lo = _mm256_and_si256(bytes, low), hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low);
      const __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
      const __m512 s = _mm512_permutexvar_ps(pairScale, _mm512_castps128_ps512(LoadPair(ws + pb)));
#pragma GCC unroll 4
      for (int r = 0; r < MR; r++) {
        const int64_t at = r * K + pb * kQ4Block;  // 64 quantized values, 16 lane-constants each of d and corr
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_loadu_si512(a.pairCorr + at / 4), w, _mm512_loadu_si512(a.pairs + at));
        acc[r][h] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(s, _mm512_loadu_ps(a.pairD + at / 4)), acc[r][h]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++) Store1(Y + r * N + n, _mm512_reduce_add_ps(_mm512_add_ps(acc[r][0], acc[r][1])));
}

template <typename T>
struct Job {
  const T* A;
  const uint8_t* B;
  const T* scales;
  T* Y;
  int64_t M, K, N;
  Quantized a;
};

template <typename T>
void QuantizeJob(void* arg, size_t i) {
  auto* j = static_cast<Job<T>*>(arg);
  const int64_t blocks = j->K / kQ4Block;
  const Quantized& a = j->a;
  QuantizeRow(j->A + i * j->K, j->K, a.q + i * j->K, a.d + i * blocks, a.corr + i * blocks);
  if (a.pairs) PairRow(a.q + i * j->K, a.d + i * blocks, a.corr + i * blocks, j->K, a.pairs + i * j->K, a.pairD + i * j->K / 4, a.pairCorr + i * j->K / 4);
}

template <typename T>
void GroupJob(void* arg, size_t group) {
  auto* j = static_cast<Job<T>*>(arg);
  const int64_t n0 = static_cast<int64_t>(group) * kGroup;
  const int64_t rows = std::min(kGroup, j->N - n0);
  if (j->a.pairs) {
    const auto row = j->M == 1 ? DirectRow<1, T> : j->M == 2 ? DirectRow<2, T> : DirectRow<3, T>;
    for (int64_t n = n0; n < n0 + rows; n++) row(j->B, j->scales, j->a, j->K, j->N, n, j->Y);
    return;
  }
  thread_local Panel panel;
  Repack(j->B, j->scales, j->K, n0, rows, panel);
  int64_t i = 0;
  for (; i + 8 <= j->M; i += 8) PanelRows<8>(panel, j->a, i, j->K, j->N, n0, rows, j->Y);
  for (; i < j->M; i++) PanelRows<1>(panel, j->a, i, j->K, j->N, n0, rows, j->Y);
}

template <typename T>
void Run(const T* A, int64_t M, int64_t K, const uint8_t* B, const T* scales, int64_t N, T* Y, void* scratch, ParallelFor parallel, void* parallelCtx) {
  Job<T> job{A, B, scales, Y, M, K, N, Layout(scratch, M, K)};
  parallel(parallelCtx, static_cast<size_t>(M), QuantizeJob<T>, &job);
  parallel(parallelCtx, static_cast<size_t>((N + kGroup - 1) / kGroup), GroupJob<T>, &job);
}

}  // namespace

bool Q4GemmSupported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("f16c");
}

size_t Q4GemmScratchBytes(int64_t M, int64_t K) {
  return static_cast<size_t>(M * (K / kQ4Block) * (sizeof(float) + sizeof(int32_t)) + M * K + (Direct(M, K) ? 3 * M * K : 0));
}

void Q4Gemm(Q4Io io, const void* A, int64_t M, int64_t K, const uint8_t* B, const void* scales, int64_t N, void* Y,
            void* scratch, ParallelFor parallel, void* parallelCtx) {
  if (io == Q4Io::Float16) {
    Run(static_cast<const Half*>(A), M, K, B, static_cast<const Half*>(scales), N, static_cast<Half*>(Y), scratch, parallel, parallelCtx);
  } else {
    Run(static_cast<const float*>(A), M, K, B, static_cast<const float*>(scales), N, static_cast<float*>(Y), scratch, parallel, parallelCtx);
  }
}

}  // namespace quire

#else

namespace quire {
bool Q4GemmSupported() { return false; }
size_t Q4GemmScratchBytes(int64_t, int64_t) { return 0; }
void Q4Gemm(Q4Io, const void*, int64_t, int64_t, const uint8_t*, const void*, int64_t, void*, void*, ParallelFor, void*) {}
}  // namespace quire

#endif
