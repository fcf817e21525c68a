// Why kernels of our own: given fp16 tensors, onnxruntime 1.30's CPU GroupQueryAttention converts the whole cache
// of a kv head to float32, into a buffer it allocates, once per *query* head and call (ComputeAttentionProbs and
// ComputeVxAttentionScore in its gqa_attention_base.h): for Llama's four query heads per kv head that is four
// float32 copies of the cache written and read again for every token, so decode slowed with the context faster
// than llama.cpp's (docs/benchmarks.md: 0.95× at 8K with an fp16 cache). For a prompt's chunk it also holds the
// scores of every query head against the whole cache (4.2 GB for a 512-token chunk at 32K, 8B widths), which would
// not fit at the contexts Quire is for. Here each kv head's keys and values are read once per step (decode) or per
// tile of query rows (a chunk) and converted in registers for all of its query heads together, and the softmax is
// taken online over blocks of keys, so the scratch does not grow with the context. The kernels are written once
// (gqa_kernels.inc) and built for AVX-512 and for AVX2, so CPUs without AVX-512 — most desktop ones — take them too.
#include "gqa_attention.h"

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12 warns inside its own intrinsics (the undefined source of _mm512_reduce_add_ps's shuffles), not about
// this file's values.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace quire {

namespace {

constexpr int64_t kMaxHeadDim = 256;
constexpr int kMaxGroup = 8;
// A prompt's chunk is read in tiles of query rows against blocks of keys (gqa_kernels.inc).
constexpr int64_t kTileRows = 64;
constexpr int64_t kTileKeys = 64;
// head_dim is a whole number of the widest vectors (16 floats), whichever set runs.
constexpr int64_t kHeadDimStep = 16;

// Non-interleaved rotary embedding of one head: the halves rotate against each other, in float32 as onnxruntime
// computes it; `out` gets the values as the tensor type rounds them.
template <typename T>
QUIRE_SCALAR_ISA void Rotate(const T* x, const T* cosRow, const T* sinRow, int64_t half, float* out) {
  for (int64_t i = 0; i < half; i++) {
    const float c = ToFloat(cosRow[i]), s = ToFloat(sinRow[i]);
    const float x1 = ToFloat(x[i]), x2 = ToFloat(x[i + half]);
    out[i] = Rounded(x1 * c - x2 * s, x);
    out[i + half] = Rounded(x2 * c + x1 * s, x);
  }
}

// The cache of kv head g of sequence b: its keys and values.
template <typename T>
struct HeadCache {
  T* keys;
  T* values;
  HeadCache(const GqaArgs& a, int64_t b, int64_t g)
      : keys(static_cast<T*>(a.presentK) + (b * a.kvHeads + g) * a.presentCapacity * a.headDim),
        values(static_cast<T*>(a.presentV) + (b * a.kvHeads + g) * a.presentCapacity * a.headDim) {}
};

// The past's rows into the cache, when the past is another buffer (the engine binds one as both, so it seldom is).
template <typename T>
void CopyPast(const GqaArgs& a, int64_t b, int64_t g, int64_t past, const HeadCache<T>& cache) {
  const int64_t D = a.headDim, offset = (b * a.kvHeads + g) * a.pastCapacity * D;
  const T* pastK = static_cast<const T*>(a.pastK) + offset;
  const T* pastV = static_cast<const T*>(a.pastV) + offset;
  if (pastK != cache.keys) std::memcpy(cache.keys, pastK, static_cast<size_t>(past * D) * sizeof(T));
  if (pastV != cache.values) std::memcpy(cache.values, pastV, static_cast<size_t>(past * D) * sizeof(T));
}

// Token s of sequence b's packed projections.
template <typename T>
const T* TokenRow(const GqaArgs& a, int64_t b, int64_t s) {
  return static_cast<const T*>(a.qkv) + (b * a.length + s) * (a.heads + 2 * a.kvHeads) * a.headDim;
}

// Query head h of a token at `pos`, rotated, rounded as the tensor type holds it, times the scale.
template <typename T>
QUIRE_SCALAR_ISA void Query(const GqaArgs& a, const T* row, int64_t h, int64_t pos, float* q) {
  const int64_t D = a.headDim, half = D / 2;
  Rotate(row + h * D, static_cast<const T*>(a.cos) + pos * half, static_cast<const T*>(a.sin) + pos * half, half, q);
  for (int64_t i = 0; i < D; i++) q[i] *= a.scale;
}

int64_t PrefillTiles(const GqaArgs& a) { return (a.length * (a.heads / a.kvHeads) + kTileRows - 1) / kTileRows; }

using HeadFn = void (*)(const GqaArgs&, int64_t);

struct Job {
  const GqaArgs* args;
  HeadFn head;
};

void RunJob(void* arg, size_t i) {
  const Job* job = static_cast<const Job*>(arg);
  job->head(*job->args, static_cast<int64_t>(i));
}

}  // namespace

// ---- AVX-512: 16 floats a vector, 32 registers ------------------------------------------------------------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma,avx2,f16c")
namespace gqa_avx512 {
namespace {

#include "simd_vec_avx512.inc"

using Mask = __mmask16;
inline Mask Tail(int64_t n) { return n >= kLanes ? 0xFFFF : static_cast<Mask>((1u << n) - 1); }
inline Vec MaskMax(Vec m, Mask k, Vec x) { return _mm512_mask_max_ps(m, k, m, x); }
inline Vec MaskZero(Mask k, Vec x) { return _mm512_maskz_mov_ps(k, x); }
inline void MaskStore(float* p, Mask k, Vec v) { _mm512_mask_storeu_ps(p, k, v); }
inline Vec Round(Vec x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// scalef applies 2^n exactly and flushes to 0 far below the range.
inline Vec Pow2(Vec p, Vec n) { return _mm512_scalef_ps(p, n); }
constexpr float kExpFloor = -104.f;

#include "gqa_kernels.inc"

}  // namespace
}  // namespace gqa_avx512
#pragma GCC pop_options

// ---- AVX2 (with FMA and F16C): 8 floats a vector, 16 registers ----------------------------------------------------
#pragma GCC push_options
#pragma GCC target("fma,avx2,f16c")
namespace gqa_avx2 {
namespace {

#include "simd_vec_avx2.inc"

using Mask = __m256;  // all ones in the lanes kept
inline Mask Tail(int64_t n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<int64_t>(n, kLanes))), lane));
}
inline Vec MaskMax(Vec m, Mask k, Vec x) { return _mm256_blendv_ps(m, _mm256_max_ps(m, x), k); }
inline Vec MaskZero(Mask k, Vec x) { return _mm256_and_ps(k, x); }
inline void MaskStore(float* p, Mask k, Vec v) { _mm256_maskstore_ps(p, _mm256_castps_si256(k), v); }
inline Vec Round(Vec x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// 2^n built in the exponent field: n ≥ −126 (kExpFloor) keeps it a normal float. Below e^−87 a weight is e^−87
// instead of smaller; beside the block's maximum's weight of 1 that is under float's rounding.
inline Vec Pow2(Vec p, Vec n) {
  return Mul(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23)));
}
constexpr float kExpFloor = -87.f;

#include "gqa_kernels.inc"

}  // namespace
}  // namespace gqa_avx2
#pragma GCC pop_options

bool GqaShape(int64_t heads, int64_t kvHeads, int64_t headDim) {
  if (kvHeads <= 0 || heads % kvHeads != 0 || headDim % kHeadDimStep != 0 || headDim > kMaxHeadDim) return false;
  const int64_t group = heads / kvHeads;
  return group == 1 || group == 2 || group == 4 || group == kMaxGroup;
}

void GqaAttention(const GqaArgs& args, SimdPath path, ParallelFor parallel, void* parallelCtx) {
  if (path == SimdPath::kAvx512) gqa_avx512::Run(args, parallel, parallelCtx);
  else gqa_avx2::Run(args, parallel, parallelCtx);
}

}  // namespace quire

#else

namespace quire {
bool GqaShape(int64_t, int64_t, int64_t) { return false; }
void GqaAttention(const GqaArgs&, SimdPath, ParallelFor, void*) {}
}  // namespace quire

#endif
