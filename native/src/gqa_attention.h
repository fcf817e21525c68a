// GroupQueryAttention on the CPU as Quire runs it (gqa_op.h): rotary embedding of the new queries and keys, the new
// keys and values written into the cache, and attention of each query head over its kv head's cache, causal within
// the new tokens — one token (a decode step) or a prompt's chunk.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu_kernel_values.h"
#include "simd_paths.h"

namespace quire {

enum class GqaType { Float32, Float16 };

struct GqaArgs {
  GqaType type;  // of every tensor below but seqlensK
  int64_t batch, length, heads, kvHeads, headDim;  // length: new tokens per sequence
  const void* qkv;            // [batch, length, (heads + 2·kvHeads)·headDim]: the packed projections
  const int32_t* seqlensK;    // [batch]: total length − 1 (the last new token's position)
  const void* cos;            // [positions, headDim/2]: rotary tables, non-interleaved halves
  const void* sin;
  const void* pastK;          // [batch, kvHeads, pastCapacity, headDim]; may be presentK itself (a shared buffer)
  const void* pastV;
  int64_t pastCapacity;
  void* presentK;             // [batch, kvHeads, presentCapacity, headDim]
  void* presentV;
  int64_t presentCapacity;
  void* output;               // [batch, length, heads·headDim]
  float scale;                // of q·k
};

// The kernels are built for the AVX-512 and the AVX2 path (simd_paths.h), so most desktop CPUs without AVX-512
// take them too. There is no portable one: elsewhere onnxruntime's own kernel runs.
// The shapes they take: head_dim a multiple of 16 up to 256, 1, 2, 4 or 8 query heads per kv head.
bool GqaShape(int64_t heads, int64_t kvHeads, int64_t headDim);
// `path`: kAvx512 or kAvx2, one this CPU runs (SimdPathSupported).
void GqaAttention(const GqaArgs& args, SimdPath path, ParallelFor parallel, void* parallelCtx);

}  // namespace quire
