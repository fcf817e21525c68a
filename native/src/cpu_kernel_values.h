// What Quire's CPU kernels (q4_gemm.cc, gqa_attention.cc) share: the callback that runs their work on onnxruntime's
// threads, and the loads and stores that let one template serve fp32 and fp16 tensors (an --io fp16 model keeps
// activations and cache in half precision; the arithmetic is float32 either way, as onnxruntime's CPU kernels do).
#pragma once
#include <cstddef>
#include <cstdint>

namespace quire {

// parallel(ctx, total, fn, arg) runs fn(arg, i) for i in [0, total) on the caller's threads.
using ParallelFor = void (*)(void* ctx, size_t total, void (*fn)(void* arg, size_t i), void* arg);

using Half = uint16_t;

}  // namespace quire

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include <cstring>

// The least instruction sets the helpers below need; a kernel's own wider set includes them, so they inline there.
// One value at a time needs F16C only, which the AVX2 kernels have too.
#define QUIRE_SCALAR_ISA __attribute__((target("f16c")))
#define QUIRE_VALUES_ISA __attribute__((target("avx512f,avx512bw,avx512vl,fma,avx2,f16c")))

namespace quire {

QUIRE_SCALAR_ISA inline float ToFloat(float v) { return v; }
QUIRE_SCALAR_ISA inline float ToFloat(Half v) { return _cvtsh_ss(v); }
QUIRE_VALUES_ISA inline __m512 Load16(const float* p) { return _mm512_loadu_ps(p); }
QUIRE_VALUES_ISA inline __m512 Load16(const Half* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
QUIRE_VALUES_ISA inline void Store16(float* p, __mmask16 mask, __m512 v) {
  _mm512_mask_storeu_ps(p, mask, v);
}
QUIRE_VALUES_ISA inline void Store16(Half* p, __mmask16 mask, __m512 v) {
  _mm256_mask_storeu_epi16(p, mask, _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
QUIRE_SCALAR_ISA inline void Store1(float* p, float v) { *p = v; }
QUIRE_SCALAR_ISA inline void Store1(Half* p, float v) {
  *p = _cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
// A value as the tensor's type holds it: rounded to half for fp16 (what onnxruntime stores between its steps).
QUIRE_SCALAR_ISA inline float Rounded(float v, const float*) { return v; }
QUIRE_SCALAR_ISA inline float Rounded(float v, const Half*) {
  return _cvtsh_ss(_cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

}  // namespace quire
#endif
