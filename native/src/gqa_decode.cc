// Why a kernel of our own: given fp16 tensors, onnxruntime 1.30's CPU GroupQueryAttention converts the whole cache
// of a kv head to float32, into a buffer it allocates, once per *query* head and step (ComputeAttentionProbs and
// ComputeVxAttentionScore in its gqa_attention_base.h): for Llama's four query heads per kv head that is four
// float32 copies of the cache written and read again for every token, so decode slowed with the context faster
// than llama.cpp's (docs/benchmarks.md: 0.95× at 8K with an fp16 cache). Here each kv head's keys and values are
// read once per step and converted in registers for all of its query heads together, and the softmax is taken
// online over blocks of keys, so nothing is allocated and the scratch does not grow with the context.
#include "gqa_decode.h"

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12 warns inside its own intrinsics (the undefined source of _mm512_reduce_add_ps's shuffles), not about
// this file's values.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace quire {

namespace {

// The instruction sets every function here may use; GqaDecodeSupported checks the CPU has them before any runs.
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

// One kv head of one sequence: its G query heads against its keys 0…pos. CG chunks of 16 output lanes per head
// are accumulated at once (G·CG registers), so the values of a block are read D/(16·CG) times from L1. The loops
// over G and CG are unrolled by pragma: left as loops (GCC's -O2), their accumulators live on the stack and each
// multiply-add goes through memory (3× slower with an fp16 cache).
template <typename T, int G, int CG>
GQA_KERNEL_ISA void DecodeHead(const GqaDecodeArgs& a, int64_t task) {
  const int64_t b = task / a.kvHeads, g = task % a.kvHeads;
  const int64_t D = a.headDim, half = D / 2, chunks = D / kLanes;
  const T* row = static_cast<const T*>(a.qkv) + b * (a.heads + 2 * a.kvHeads) * D;
  const int64_t pos = a.seqlensK[b], total = pos + 1;
  const T* cosRow = static_cast<const T*>(a.cos) + pos * half;
  const T* sinRow = static_cast<const T*>(a.sin) + pos * half;
  T* keys = static_cast<T*>(a.presentK) + (b * a.kvHeads + g) * a.presentCapacity * D;
  T* values = static_cast<T*>(a.presentV) + (b * a.kvHeads + g) * a.presentCapacity * D;
  const T* pastK = static_cast<const T*>(a.pastK) + (b * a.kvHeads + g) * a.pastCapacity * D;
  const T* pastV = static_cast<const T*>(a.pastV) + (b * a.kvHeads + g) * a.pastCapacity * D;
  if (pastK != keys) std::memcpy(keys, pastK, static_cast<size_t>(pos * D) * sizeof(T));
  if (pastV != values) std::memcpy(values, pastV, static_cast<size_t>(pos * D) * sizeof(T));

  alignas(64) float q[kMaxGroup * kMaxHeadDim];
  alignas(64) float out[kMaxGroup * kMaxHeadDim];
  alignas(64) float p[kMaxGroup * kBlock];
  Rotate(row + (a.heads + g) * D, cosRow, sinRow, half, q);
  for (int64_t i = 0; i < D; i += kLanes) Store16(keys + pos * D + i, 0xFFFF, _mm512_loadu_ps(q + i));
  std::memcpy(values + pos * D, row + (a.heads + a.kvHeads + g) * D, static_cast<size_t>(D) * sizeof(T));
  #pragma GCC unroll 8
  for (int h = 0; h < G; h++) {
    Rotate(row + (g * G + h) * D, cosRow, sinRow, half, q + h * D);
    for (int64_t i = 0; i < D; i++) q[h * D + i] *= a.scale;
  }
  std::fill(out, out + G * D, 0.f);
  float max[G], sum[G];
  std::fill(max, max + G, -std::numeric_limits<float>::infinity());
  std::fill(sum, sum + G, 0.f);

  for (int64_t t0 = 0; t0 < total; t0 += kBlock) {
    const int64_t n = std::min(kBlock, total - t0);
    for (int64_t t = 0; t < n; t++) {
      const T* k = keys + (t0 + t) * D;
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
    // The block's weights against the new running maximum; what was summed so far is rescaled to it.
    #pragma GCC unroll 8
    for (int h = 0; h < G; h++) {
      float* s = p + h * kBlock;
      __m512 m = _mm512_set1_ps(max[h]);
      for (int64_t t = 0; t < n; t += kLanes) m = _mm512_mask_max_ps(m, Tail(n - t), m, _mm512_loadu_ps(s + t));
      const float next = _mm512_reduce_max_ps(m);
      const float factor = std::exp(max[h] - next);  // 0 on the first block (max is −∞)
      max[h] = next;
      __m512 blockSum = _mm512_setzero_ps();
      for (int64_t t = 0; t < n; t += kLanes) {
        const __m512 e = _mm512_maskz_mov_ps(Tail(n - t), Exp(_mm512_sub_ps(_mm512_loadu_ps(s + t), _mm512_set1_ps(next))));
        _mm512_storeu_ps(s + t, e);
        blockSum = _mm512_add_ps(blockSum, e);
      }
      sum[h] = sum[h] * factor + _mm512_reduce_add_ps(blockSum);
      if (factor != 1.f) {
        for (int64_t i = 0; i < D; i += kLanes) _mm512_store_ps(out + h * D + i, _mm512_mul_ps(_mm512_load_ps(out + h * D + i), _mm512_set1_ps(factor)));
      }
    }
    for (int64_t c0 = 0; c0 < chunks; c0 += CG) {
      __m512 acc[G][CG];
      #pragma GCC unroll 8
      for (int h = 0; h < G; h++) {
        #pragma GCC unroll 8
        for (int j = 0; j < CG; j++) acc[h][j] = _mm512_load_ps(out + h * D + (c0 + j) * kLanes);
      }
      for (int64_t t = 0; t < n; t++) {
        const T* v = values + (t0 + t) * D + c0 * kLanes;
        __m512 vv[CG];
        #pragma GCC unroll 8
        for (int j = 0; j < CG; j++) vv[j] = Load16(v + j * kLanes);
        #pragma GCC unroll 8
        for (int h = 0; h < G; h++) {
          const __m512 w = _mm512_set1_ps(p[h * kBlock + t]);
          #pragma GCC unroll 8
          for (int j = 0; j < CG; j++) acc[h][j] = _mm512_fmadd_ps(w, vv[j], acc[h][j]);
        }
      }
      #pragma GCC unroll 8
      for (int h = 0; h < G; h++) {
        #pragma GCC unroll 8
        for (int j = 0; j < CG; j++) _mm512_store_ps(out + h * D + (c0 + j) * kLanes, acc[h][j]);
      }
    }
  }
  T* y = static_cast<T*>(a.output) + (b * a.heads + g * G) * D;
  #pragma GCC unroll 8
  for (int h = 0; h < G; h++) {
    const __m512 inv = _mm512_set1_ps(1.f / sum[h]);
    for (int64_t i = 0; i < D; i += kLanes) Store16(y + h * D + i, 0xFFFF, _mm512_mul_ps(_mm512_load_ps(out + h * D + i), inv));
  }
}

using HeadFn = void (*)(const GqaDecodeArgs&, int64_t);

struct Job {
  const GqaDecodeArgs* args;
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

bool GqaDecodeSupported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("f16c");
}

bool GqaDecodeShape(int64_t heads, int64_t kvHeads, int64_t headDim) {
  if (kvHeads <= 0 || heads % kvHeads != 0 || headDim % kLanes != 0 || headDim > kMaxHeadDim) return false;
  const int64_t group = heads / kvHeads;
  return group == 1 || group == 2 || group == 4 || group == kMaxGroup;
}

void GqaDecode(const GqaDecodeArgs& args, ParallelFor parallel, void* parallelCtx) {
  const int64_t group = args.heads / args.kvHeads, chunks = args.headDim / kLanes;
  Job job{&args, args.type == GqaType::Float16 ? HeadFor<Half>(group, chunks) : HeadFor<float>(group, chunks)};
  parallel(parallelCtx, static_cast<size_t>(args.batch * args.kvHeads), RunJob, &job);
}

}  // namespace quire

#else

namespace quire {
bool GqaDecodeSupported() { return false; }
bool GqaDecodeShape(int64_t, int64_t, int64_t) { return false; }
void GqaDecode(const GqaDecodeArgs&, ParallelFor, void*) {}
}  // namespace quire

#endif
