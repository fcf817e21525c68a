// GroupQueryAttention (com.microsoft) on the CPU for a float cache of the activations' type: decode steps, and the
// prompt chunks of an fp16 cache, run Quire's kernels (gqa_attention.h); every other call runs onnxruntime's own
// kernel, so the model files stay standard.
#pragma once
#include <onnxruntime_cxx_api.h>

namespace quire {

// Whether this CPU runs the kernels; where it does not, sessions keep onnxruntime's GroupQueryAttention.
bool AttentionKernelSupported();

// The op for fp32 and for fp16 nodes with 9 inputs (no quantized cache), into a session's com.microsoft domain.
void AddAttentionOps(Ort::CustomOpDomain& domain);

}  // namespace quire
