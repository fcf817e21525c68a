// One decode step of GroupQueryAttention on the CPU (what a token of an answer runs in every layer): rotary
// embedding of the new query and key, the new key and value written into the cache, and attention of each query
// head over its kv head's whole cache.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu_kernel_values.h"

namespace quire {

enum class GqaType { Float32, Float16 };

struct GqaDecodeArgs {
  GqaType type;  // of every tensor below but seqlens_k
  int64_t batch, heads, kvHeads, headDim;
  const void* qkv;            // [batch, 1, (heads + 2·kvHeads)·headDim]: the packed projections
  const int32_t* seqlensK;    // [batch]: the new token's position (total length − 1)
  const void* cos;            // [positions, headDim/2]: rotary tables, non-interleaved halves
  const void* sin;
  const void* pastK;          // [batch, kvHeads, pastCapacity, headDim]; may be presentK itself (a shared buffer)
  const void* pastV;
  int64_t pastCapacity;
  void* presentK;             // [batch, kvHeads, presentCapacity, headDim]
  void* presentV;
  int64_t presentCapacity;
  void* output;               // [batch, 1, heads·headDim]
  float scale;                // of q·k
};

// Whether this CPU runs the kernel (AVX-512 F/BW/VL, F16C).
bool GqaDecodeSupported();
// The shapes the kernel takes: head_dim a multiple of 16, 1, 2, 4 or 8 query heads per kv head.
bool GqaDecodeShape(int64_t heads, int64_t kvHeads, int64_t headDim);
void GqaDecode(const GqaDecodeArgs& args, ParallelFor parallel, void* parallelCtx);

}  // namespace quire
