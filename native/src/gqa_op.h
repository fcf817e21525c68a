// GroupQueryAttention (com.microsoft) on the CPU for a float cache of the activations' type: each decode step runs
// Quire's kernel (gqa_decode.h); every other call runs onnxruntime's own kernel, so the model files stay standard.
#pragma once
#include <onnxruntime_cxx_api.h>

namespace quire {

// Whether this CPU runs the decode kernel; where it does not, sessions keep onnxruntime's GroupQueryAttention.
bool AttentionKernelSupported();

// The op for fp32 and for fp16 nodes with 9 inputs (no quantized cache), into a session's com.microsoft domain.
void AddAttentionOps(Ort::CustomOpDomain& domain);

}  // namespace quire
