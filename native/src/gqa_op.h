// GroupQueryAttention (com.microsoft) on the CPU for a float cache of the activations' type: decode steps, and the
// prompt chunks of an fp16 cache, run Quire's kernels (gqa_attention.h); every other call runs onnxruntime's own
// kernel, so the model files stay standard.
#pragma once
#include <onnxruntime_cxx_api.h>

#include <string>
#include <vector>

#include "gqa_attention.h"

namespace quire {

// The names of the kernels' paths this CPU runs, widest first ("avx512", "avx2"); where it runs none, sessions keep
// onnxruntime's GroupQueryAttention.
std::vector<std::string> AttentionPaths();
// The path named (one of AttentionPaths), or the widest for "widest"; kPortable (onnxruntime's kernel) where this
// CPU does not run it.
SimdPath AttentionPath(const std::string& name);

// The op for fp32 and for fp16 nodes with 9 inputs (no quantized cache), into a session's com.microsoft domain;
// its kernels take `path`.
void AddAttentionOps(Ort::CustomOpDomain& domain, SimdPath path);

}  // namespace quire
