// Why kernels of our own: given fp16 tensors, onnxruntime 1.30's CPU GroupQueryAttention converts the whole cache
// of a kv head to float32, into a buffer it allocates, once per *query* head and call (ComputeAttentionProbs and
// ComputeVxAttentionScore in its gqa_attention_base.h): for Llama's four query heads per kv head that is four
// float32 copies of the cache written and read again for every token, so decode slowed with the context faster
// than llama.cpp's (docs/benchmarks.md: 0.95× at 8K with an fp16 cache). For a prompt's chunk it also holds the
// scores of every query head against the whole cache (4.2 GB for a 512-token chunk at 32K, 8B widths), which would
// not fit at the contexts Quire is for. Here each kv head's keys and values are read once per step (decode) or per
// tile of query rows (a chunk) and converted in registers for all of its query heads together, and the softmax is
// taken online over blocks of keys, so the scratch does not grow with the context.
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

// The instruction sets every function here may use; GqaSupported checks the CPU has them before any runs.
#define GQA_KERNEL_ISA __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,avx2,f16c")))

constexpr int64_t kLanes = 16;
// Keys per block of the online softmax: a block's scores (8 heads × 128 floats) stay in L1 between the pass that
// computes them and the pass that weighs the values with them.
constexpr int64_t kBlock = 128;
constexpr int64_t kMaxHeadDim = 256;
constexpr int kMaxGroup = 8;

// e^x for x ≤ 0 (scores less their running maximum) as 2^n · e^r, |r| ≤ ln2/2, e^r by its Taylor series to r⁷
// (error under float's rounding); scalef applies 2^n and flushes to 0 far below the range.
GQA_KERNEL_ISA inline __m512 Exp(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-104.f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln 2 in two parts, the first exact in a float, so r keeps its low bits.
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.f / 5040);
  for (const float c : {1.f / 720, 1.f / 120, 1.f / 24, 1.f / 6, 0.5f, 1.f, 1.f}) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
  return _mm512_scalef_ps(p, n);
}

GQA_KERNEL_ISA inline __mmask16 Tail(int64_t n) { return n >= kLanes ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1); }

// Non-interleaved rotary embedding of one head: the halves rotate against each other, in float32 as onnxruntime
// computes it; `out` gets the values as the tensor type rounds them.
template <typename T>
GQA_KERNEL_ISA void Rotate(const T* x, const T* cosRow, const T* sinRow, int64_t half, float* out) {
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

// The rotated new key and the new value of token s (at `pos`) into kv head g's cache.
template <typename T>
GQA_KERNEL_ISA void WriteNewRow(const GqaArgs& a, const T* row, int64_t g, int64_t pos, const HeadCache<T>& cache) {
  const int64_t D = a.headDim, half = D / 2;
  alignas(64) float k[kMaxHeadDim];
  Rotate(row + (a.heads + g) * D, static_cast<const T*>(a.cos) + pos * half, static_cast<const T*>(a.sin) + pos * half, half, k);
  for (int64_t i = 0; i < D; i += kLanes) Store16(cache.keys + pos * D + i, 0xFFFF, _mm512_load_ps(k + i));
  std::memcpy(cache.values + pos * D, row + (a.heads + a.kvHeads + g) * D, static_cast<size_t>(D) * sizeof(T));
}

// Query head h of a token at `pos`, rotated, rounded as the tensor type holds it, times the scale.
template <typename T>
GQA_KERNEL_ISA void Query(const GqaArgs& a, const T* row, int64_t h, int64_t pos, float* q) {
  const int64_t D = a.headDim, half = D / 2;
  Rotate(row + h * D, static_cast<const T*>(a.cos) + pos * half, static_cast<const T*>(a.sin) + pos * half, half, q);
  for (int64_t i = 0; i < D; i++) q[i] *= a.scale;
}

// Online softmax of one row's block of scores s[0, n), of which the first `valid` are its keys: rescales what
// was summed so far (`out`, D values) to the new running maximum and leaves the block's weights in s (0 beyond
// `valid`).
GQA_KERNEL_ISA inline void SoftmaxBlock(float* s, int64_t n, int64_t valid, float& max, float& sum, float* out, int64_t D) {
  __m512 m = _mm512_set1_ps(max);
  for (int64_t t = 0; t < valid; t += kLanes) m = _mm512_mask_max_ps(m, Tail(valid - t), m, _mm512_loadu_ps(s + t));
  const float next = _mm512_reduce_max_ps(m);
  const float factor = std::exp(max - next);  // 0 on the first block (max is −∞)
  max = next;
  __m512 blockSum = _mm512_setzero_ps();
  for (int64_t t = 0; t < n; t += kLanes) {
    const __mmask16 keep = t < valid ? Tail(valid - t) & Tail(n - t) : 0;
    const __m512 e = _mm512_maskz_mov_ps(keep, Exp(_mm512_sub_ps(_mm512_loadu_ps(s + t), _mm512_set1_ps(next))));
    _mm512_mask_storeu_ps(s + t, Tail(n - t), e);
    blockSum = _mm512_add_ps(blockSum, e);
  }
  sum = sum * factor + _mm512_reduce_add_ps(blockSum);
  if (factor != 1.f) {
    for (int64_t i = 0; i < D; i += kLanes) _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_loadu_ps(out + i), _mm512_set1_ps(factor)));
  }
}

// out[RB rows] += weights · values for a block's n keys (v: n rows of D values, float32 or the cache's own type;
// p: each row's n weights, `stride` apart), CG chunks of 16 lanes at a time: RB·CG accumulators and CG values in
// registers.
template <int RB, int CG, typename V>
GQA_KERNEL_ISA void AccumulateRows(const float* p, int64_t stride, const V* v, float* out, int64_t n, int64_t D) {
  for (int64_t c0 = 0; c0 < D / kLanes; c0 += CG) {
    __m512 acc[RB][CG];
    #pragma GCC unroll 8
    for (int i = 0; i < RB; i++) {
      #pragma GCC unroll 8
      for (int j = 0; j < CG; j++) acc[i][j] = _mm512_loadu_ps(out + i * D + (c0 + j) * kLanes);
    }
    for (int64_t t = 0; t < n; t++) {
      __m512 vv[CG];
      #pragma GCC unroll 8
      for (int j = 0; j < CG; j++) vv[j] = Load16(v + t * D + (c0 + j) * kLanes);
      #pragma GCC unroll 8
      for (int i = 0; i < RB; i++) {
        const __m512 w = _mm512_set1_ps(p[i * stride + t]);
        #pragma GCC unroll 8
        for (int j = 0; j < CG; j++) acc[i][j] = _mm512_fmadd_ps(w, vv[j], acc[i][j]);
      }
    }
    #pragma GCC unroll 8
    for (int i = 0; i < RB; i++) {
      #pragma GCC unroll 8
      for (int j = 0; j < CG; j++) _mm512_storeu_ps(out + i * D + (c0 + j) * kLanes, acc[i][j]);
    }
  }
}

// One kv head of one sequence: its G query heads against its keys 0…pos. CG chunks of 16 output lanes per head
// are accumulated at once (G·CG registers), so the values of a block are read D/(16·CG) times from L1. The loops
// over G and CG are unrolled by pragma: left as loops (GCC's -O2), their accumulators live on the stack and each
// multiply-add goes through memory (3× slower with an fp16 cache).
template <typename T, int G, int CG>
GQA_KERNEL_ISA void DecodeHead(const GqaArgs& a, int64_t task) {
  const int64_t b = task / a.kvHeads, g = task % a.kvHeads;
  const int64_t D = a.headDim, chunks = D / kLanes;
  const int64_t pos = a.seqlensK[b], total = pos + 1;
  const T* row = TokenRow<T>(a, b, 0);
  const HeadCache<T> cache(a, b, g);
  CopyPast(a, b, g, pos, cache);
  WriteNewRow(a, row, g, pos, cache);

  alignas(64) float q[kMaxGroup * kMaxHeadDim];
  alignas(64) float out[kMaxGroup * kMaxHeadDim];
  alignas(64) float p[kMaxGroup * kBlock];
  for (int h = 0; h < G; h++) Query(a, row, g * G + h, pos, q + h * D);
  std::fill(out, out + G * D, 0.f);
  float max[G], sum[G];
  std::fill(max, max + G, -std::numeric_limits<float>::infinity());
  std::fill(sum, sum + G, 0.f);

  for (int64_t t0 = 0; t0 < total; t0 += kBlock) {
    const int64_t n = std::min(kBlock, total - t0);
    for (int64_t t = 0; t < n; t++) {
      const T* k = cache.keys + (t0 + t) * D;
      __m512 dot[G];
      #pragma GCC unroll 8
      for (int h = 0; h < G; h++) dot[h] = _mm512_setzero_ps();
      for (int64_t c = 0; c < chunks; c++) {
        const __m512 kv = Load16(k + c * kLanes);
        #pragma GCC unroll 8
        for (int h = 0; h < G; h++) dot[h] = _mm512_fmadd_ps(_mm512_load_ps(q + h * D + c * kLanes), kv, dot[h]);
      }
      #pragma GCC unroll 8
      for (int h = 0; h < G; h++) p[h * kBlock + t] = _mm512_reduce_add_ps(dot[h]);
    }
    for (int h = 0; h < G; h++) SoftmaxBlock(p + h * kBlock, n, n, max[h], sum[h], out + h * D, D);
    AccumulateRows<G, CG>(p, kBlock, cache.values + t0 * D, out, n, D);
  }
  T* y = static_cast<T*>(a.output) + (b * a.heads + g * G) * D;
  #pragma GCC unroll 8
  for (int h = 0; h < G; h++) {
    const __m512 inv = _mm512_set1_ps(1.f / sum[h]);
    for (int64_t i = 0; i < D; i += kLanes) Store16(y + h * D + i, 0xFFFF, _mm512_mul_ps(_mm512_load_ps(out + h * D + i), inv));
  }
}

// ---- A prompt's chunk ----------------------------------------------------------------------------------------
// A task is a tile of query rows of one kv head — row r is token r / G, query head g·G + r % G — against every key
// up to its last token, in blocks. A block's keys (transposed) and values are converted to float32 once for the
// tile's rows; with the tile's queries, outputs and scores that is ~150 kB at head_dim 128, in L2.
constexpr int64_t kTileRows = 64;
constexpr int64_t kTileKeys = 64;  // 4 vectors of scores per row
constexpr int kRowGroup = 4;       // rows accumulated at once: 4 × 4 registers of scores or of outputs

// Scores of RB rows against a block's 64 keys: kt holds the keys transposed ([D][kTileKeys]).
template <int RB>
GQA_KERNEL_ISA void ScoreRows(const float* q, const float* kt, float* p, int64_t D) {
  __m512 acc[RB][4];
  #pragma GCC unroll 8
  for (int i = 0; i < RB; i++) {
    #pragma GCC unroll 4
    for (int j = 0; j < 4; j++) acc[i][j] = _mm512_setzero_ps();
  }
  for (int64_t d = 0; d < D; d++) {
    __m512 k[4];
    #pragma GCC unroll 4
    for (int j = 0; j < 4; j++) k[j] = _mm512_loadu_ps(kt + d * kTileKeys + j * kLanes);
    #pragma GCC unroll 8
    for (int i = 0; i < RB; i++) {
      const __m512 w = _mm512_set1_ps(q[i * D + d]);
      #pragma GCC unroll 4
      for (int j = 0; j < 4; j++) acc[i][j] = _mm512_fmadd_ps(w, k[j], acc[i][j]);
    }
  }
  #pragma GCC unroll 8
  for (int i = 0; i < RB; i++) {
    #pragma GCC unroll 4
    for (int j = 0; j < 4; j++) _mm512_storeu_ps(p + i * kTileKeys + j * kLanes, acc[i][j]);
  }
}

int64_t PrefillTiles(const GqaArgs& a) { return (a.length * (a.heads / a.kvHeads) + kTileRows - 1) / kTileRows; }

// First pass of a chunk: every new token's key and value into the cache, which every tile then reads.
template <typename T>
GQA_KERNEL_ISA void PrefillRows(const GqaArgs& a, int64_t task) {
  const int64_t b = task / a.kvHeads, g = task % a.kvHeads;
  const int64_t past = a.seqlensK[b] + 1 - a.length;
  const HeadCache<T> cache(a, b, g);
  CopyPast(a, b, g, past, cache);
  for (int64_t s = 0; s < a.length; s++) WriteNewRow(a, TokenRow<T>(a, b, s), g, past + s, cache);
}

template <typename T, int CG>
GQA_KERNEL_ISA void PrefillTile(const GqaArgs& a, int64_t task) {
  const int64_t G = a.heads / a.kvHeads, tiles = PrefillTiles(a), D = a.headDim;
  const int64_t b = task / (a.kvHeads * tiles), g = task / tiles % a.kvHeads, r0 = task % tiles * kTileRows;
  const int64_t rows = std::min(kTileRows, a.length * G - r0);
  const int64_t past = a.seqlensK[b] + 1 - a.length;
  const HeadCache<T> cache(a, b, g);

  thread_local std::vector<float> scratch;
  scratch.resize(static_cast<size_t>(2 * kTileRows * D + 2 * kTileKeys * D + kTileRows * kTileKeys));
  float* q = scratch.data();
  float* out = q + kTileRows * D;
  float* kt = out + kTileRows * D;
  float* v = kt + kTileKeys * D;
  float* p = v + kTileKeys * D;
  float max[kTileRows], sum[kTileRows];
  for (int64_t r = 0; r < rows; r++) Query(a, TokenRow<T>(a, b, (r0 + r) / G), g * G + (r0 + r) % G, past + (r0 + r) / G, q + r * D);
  std::fill(out, out + rows * D, 0.f);
  std::fill(max, max + rows, -std::numeric_limits<float>::infinity());
  std::fill(sum, sum + rows, 0.f);

  const int64_t last = past + (r0 + rows - 1) / G;  // the tile's last token's position
  for (int64_t t0 = 0; t0 <= last; t0 += kTileKeys) {
    const int64_t n = std::min(kTileKeys, last + 1 - t0);
    for (int64_t t = 0; t < n; t++) {
      const T* k = cache.keys + (t0 + t) * D;
      for (int64_t d = 0; d < D; d++) kt[d * kTileKeys + t] = ToFloat(k[d]);
      for (int64_t c = 0; c < D; c += kLanes) _mm512_storeu_ps(v + t * D + c, Load16(cache.values + (t0 + t) * D + c));
    }
    int64_t r = 0;
    for (; r + kRowGroup <= rows; r += kRowGroup) ScoreRows<kRowGroup>(q + r * D, kt, p + r * kTileKeys, D);
    for (; r < rows; r++) ScoreRows<1>(q + r * D, kt, p + r * kTileKeys, D);
    // Causal: row r sees the keys up to its own token's position.
    for (r = 0; r < rows; r++) {
      const int64_t valid = std::min(n, past + (r0 + r) / G - t0 + 1);
      float* s = p + r * kTileKeys;
      if (valid <= 0) {
        std::fill(s, s + n, 0.f);
        continue;
      }
      SoftmaxBlock(s, n, valid, max[r], sum[r], out + r * D, D);
    }
    for (r = 0; r + kRowGroup <= rows; r += kRowGroup) AccumulateRows<kRowGroup, CG>(p + r * kTileKeys, kTileKeys, v, out + r * D, n, D);
    for (; r < rows; r++) AccumulateRows<1, CG>(p + r * kTileKeys, kTileKeys, v, out + r * D, n, D);
  }
  for (int64_t r = 0; r < rows; r++) {
    const int64_t s = (r0 + r) / G, h = g * G + (r0 + r) % G;
    T* y = static_cast<T*>(a.output) + ((b * a.length + s) * a.heads + h) * D;
    const __m512 inv = _mm512_set1_ps(1.f / sum[r]);
    for (int64_t i = 0; i < D; i += kLanes) Store16(y + i, 0xFFFF, _mm512_mul_ps(_mm512_loadu_ps(out + r * D + i), inv));
  }
}

using HeadFn = void (*)(const GqaArgs&, int64_t);

struct Job {
  const GqaArgs* args;
  HeadFn head;
};

void RunJob(void* arg, size_t i) {
  const Job* job = static_cast<const Job*>(arg);
  job->head(*job->args, static_cast<int64_t>(i));
}

// Registers hold G·CG accumulators and CG values: four chunks per head up to four heads, two for eight.
template <typename T, int G>
HeadFn HeadForGroup(int64_t chunks) {
  constexpr int widest = G >= 8 ? 2 : 4;
  if (chunks % widest == 0) return DecodeHead<T, G, widest>;
  if (chunks % 2 == 0) return DecodeHead<T, G, 2>;
  return DecodeHead<T, G, 1>;
}

template <typename T>
HeadFn HeadFor(int64_t group, int64_t chunks) {
  switch (group) {
    case 1: return HeadForGroup<T, 1>(chunks);
    case 2: return HeadForGroup<T, 2>(chunks);
    case 4: return HeadForGroup<T, 4>(chunks);
    default: return HeadForGroup<T, 8>(chunks);
  }
}

}  // namespace

bool GqaSupported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("f16c");
}

bool GqaShape(int64_t heads, int64_t kvHeads, int64_t headDim) {
  if (kvHeads <= 0 || heads % kvHeads != 0 || headDim % kLanes != 0 || headDim > kMaxHeadDim) return false;
  const int64_t group = heads / kvHeads;
  return group == 1 || group == 2 || group == 4 || group == kMaxGroup;
}

void GqaAttention(const GqaArgs& args, ParallelFor parallel, void* parallelCtx) {
  const bool half = args.type == GqaType::Float16;
  const int64_t group = args.heads / args.kvHeads, chunks = args.headDim / kLanes;
  if (args.length == 1) {
    Job job{&args, half ? HeadFor<Half>(group, chunks) : HeadFor<float>(group, chunks)};
    parallel(parallelCtx, static_cast<size_t>(args.batch * args.kvHeads), RunJob, &job);
    return;
  }
  Job rows{&args, half ? PrefillRows<Half> : PrefillRows<float>};
  parallel(parallelCtx, static_cast<size_t>(args.batch * args.kvHeads), RunJob, &rows);
  const int cg = chunks % 4 == 0 ? 4 : chunks % 2 == 0 ? 2 : 1;
  HeadFn tile = cg == 4 ? (half ? PrefillTile<Half, 4> : PrefillTile<float, 4>)
              : cg == 2 ? (half ? PrefillTile<Half, 2> : PrefillTile<float, 2>)
                        : (half ? PrefillTile<Half, 1> : PrefillTile<float, 1>);
  Job tiles{&args, tile};
  parallel(parallelCtx, static_cast<size_t>(args.batch * args.kvHeads * PrefillTiles(args)), RunJob, &tiles);
}

}  // namespace quire

#else

namespace quire {
bool GqaSupported() { return false; }
bool GqaShape(int64_t, int64_t, int64_t) { return false; }
void GqaAttention(const GqaArgs&, ParallelFor, void*) {}
}  // namespace quire

#endif
