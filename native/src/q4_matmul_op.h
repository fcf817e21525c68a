// MatMulNBits (com.microsoft) on the CPU with Quire's own int4 kernel (q4_gemm.h): registered as a custom op of
// the same domain and name, which onnxruntime prefers to its built-in kernel, so the model files stay standard.
#pragma once
#include <onnxruntime_cxx_api.h>

#include <string>
#include <vector>

#include "simd_paths.h"

namespace quire {

// The names of the kernel's paths this CPU runs, widest first ("avx512", "avx2"); where it runs none, sessions
// keep onnxruntime's MatMulNBits.
std::vector<std::string> Int4Paths();
// The path named (one of Int4Paths), or the widest for "widest"; kPortable (onnxruntime's kernel) where this CPU
// does not run it.
SimdPath Int4Path(const std::string& name);

// The op for fp32 and for fp16 activations, into a session's com.microsoft domain: for a model whose MatMulNBits
// nodes are 4-bit, block 32, symmetric (what `quire convert --precision int4` writes); its products take `path`.
// A session given it throws Ort::Exception for a node it cannot run.
void AddInt4Ops(Ort::CustomOpDomain& domain, SimdPath path);

}  // namespace quire
