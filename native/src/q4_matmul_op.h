// MatMulNBits (com.microsoft) on the CPU with Quire's own int4 kernel (q4_gemm.h): registered as a custom op of
// the same domain and name, which onnxruntime prefers to its built-in kernel, so the model files stay standard.
#pragma once
#include <onnxruntime_cxx_api.h>

namespace quire {

// Whether this CPU runs the kernel; where it does not, sessions keep onnxruntime's MatMulNBits.
bool Int4KernelSupported();

// The op for fp32 and for fp16 activations, into a session's com.microsoft domain: for a model whose MatMulNBits
// nodes are 4-bit, block 32, symmetric (what `quire convert --precision int4` writes). A session given it throws
// Ort::Exception for a node it cannot run.
void AddInt4Ops(Ort::CustomOpDomain& domain);

}  // namespace quire
