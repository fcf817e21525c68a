// Quire's CPU kernels in a session: custom ops of onnxruntime's own names in com.microsoft, which onnxruntime
// prefers to its built-in kernels, so a model file runs the same on every provider.
#pragma once
#include <onnxruntime_cxx_api.h>

#include "gqa_attention.h"

namespace quire {

// int4: MatMulNBits (q4_matmul_op.h); attention: GroupQueryAttention over a float cache (gqa_op.h); each on the
// path given, onnxruntime's own kernel for kPortable.
void UseCpuOps(Ort::SessionOptions& so, SimdPath int4, SimdPath attention);

}  // namespace quire
