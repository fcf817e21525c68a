// Int4 × fp32 matrix product for the CPU: Quire's MatMulNBits weights (4 bits, block 32, symmetric, zero point
// 8 — GGUF Q4_0's layout) against activations quantized to int8 per block of 32 (as llama.cpp's Q8_0 and
// onnxruntime's accuracy_level 4 do), with integer dot products: AVX-512 VNNI's VPDPBUSD, or AVX2's VPMADDUBSW
// and VPMADDWD on CPUs without it.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu_kernel_values.h"
#include "simd_paths.h"

namespace quire {

constexpr int64_t kQ4Block = 32;

// Whether this CPU runs the kernel's `path`: kAvx512 wants VNNI besides (simd_paths.h), kAvx2 is simd_paths.h's.
// There is no portable one: elsewhere onnxruntime's own kernel stays in use.
bool Q4GemmSupported(SimdPath path);

// Y[M, N] = A[M, K] · dequant(B)ᵀ, B uint8 [N, K/32, 16] (element 2j of a block in the low nibble of byte j),
// scales [N, K/32]; A, scales and Y all float32 or all float16 (`io`, as MatMulNBits' type T).
// The work runs through `parallel` (cpu_kernel_values.h). Scratch for the quantized
// activations comes from `scratch` (size Q4GemmScratchBytes(M, K), enough for either path).
enum class Q4Io { Float32, Float16 };
size_t Q4GemmScratchBytes(int64_t M, int64_t K);
// `path`: one this CPU runs (Q4GemmSupported).
void Q4Gemm(SimdPath path, Q4Io io, const void* A, int64_t M, int64_t K, const uint8_t* B, const void* scales, int64_t N,
            void* Y, void* scratch, ParallelFor parallel, void* parallelCtx);

}  // namespace quire
