// MatMulNBits (com.microsoft) on the CPU with Quire's own int4 kernel (q4_gemm.h): registered as a custom op of
// the same domain and name, which onnxruntime prefers to its built-in kernel, so the model files stay standard.
#pragma once
#include <onnxruntime_cxx_api.h>

namespace quire {

// Whether this CPU runs the kernel; where it does not, sessions keep onnxruntime's MatMulNBits.
bool Int4KernelSupported();

// For a CPU session of a model whose MatMulNBits nodes are 4-bit, block 32, symmetric, with fp32 or fp16
// activations (what `quire convert --precision int4` writes). Throws Ort::Exception for a node it cannot run.
void UseInt4Kernel(Ort::SessionOptions& so);

}  // namespace quire
