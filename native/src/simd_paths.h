// The addon's x86 code paths, widest first, chosen at run time from what the CPU has (weight_codecs.cc,
// blake3.cc, gqa_attention.cc). Each path's functions are compiled for its instructions with
// __attribute__((target(...))) or #pragma GCC target, so one build runs everywhere; naming a path is for the tests
// that hold every path this CPU runs to the same results. A path is the whole set its users need: AVX-512 F, BW,
// VL and DQ (every AVX-512 CPU but the Xeon Phi), AVX2 with FMA and F16C (every AVX2 CPU).
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define QUIRE_SIMD_X86 1
#include <immintrin.h>
#endif

namespace quire {

enum class SimdPath { kAvx512, kAvx2, kPortable };
constexpr const char* kSimdPathNames[] = {"avx512", "avx2", "portable"};

inline bool SimdPathSupported(SimdPath path) {
#if QUIRE_SIMD_X86
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  static const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  if (path == SimdPath::kAvx512) return avx512;
  if (path == SimdPath::kAvx2) return avx2;
#endif
  return path == SimdPath::kPortable;
}

// The widest path this CPU runs, or the one named by the optional argument at `i`; `what` names the caller in
// the error for a path this CPU lacks.
inline SimdPath SimdPathArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || info[i].IsUndefined()) {
    for (SimdPath path : {SimdPath::kAvx512, SimdPath::kAvx2}) {
      if (SimdPathSupported(path)) return path;
    }
    return SimdPath::kPortable;
  }
  const std::string name = info[i].As<Napi::String>().Utf8Value();
  for (int p = 0; p < 3; p++) {
    if (name == kSimdPathNames[p] && SimdPathSupported(static_cast<SimdPath>(p))) return static_cast<SimdPath>(p);
  }
  throw Napi::RangeError::New(info.Env(), std::string(what) + " path " + name + " is not one this CPU runs");
}

// The names of a kernel's `paths` (widest first) that this CPU runs (`runs`: its own test, as a kernel may want more
// than the path's set).
template <size_t N>
std::vector<std::string> PathNames(const SimdPath (&paths)[N], bool (*runs)(SimdPath)) {
  std::vector<std::string> names;
  for (SimdPath p : paths) {
    if (runs(p)) names.emplace_back(kSimdPathNames[static_cast<int>(p)]);
  }
  return names;
}

// The path named (one of PathNames), or the widest for "widest"; kPortable, which leaves onnxruntime's kernel in
// place, where this CPU runs none of that name.
template <size_t N>
SimdPath NamedPath(const SimdPath (&paths)[N], bool (*runs)(SimdPath), const std::string& name) {
  for (SimdPath p : paths) {
    if ((name == "widest" || name == kSimdPathNames[static_cast<int>(p)]) && runs(p)) return p;
  }
  return SimdPath::kPortable;
}

// The paths this CPU runs, widest first.
inline Napi::Array SimdPaths(Napi::Env env) {
  Napi::Array paths = Napi::Array::New(env);
  for (int p = 0; p < 3; p++) {
    if (SimdPathSupported(static_cast<SimdPath>(p))) paths.Set(paths.Length(), kSimdPathNames[p]);
  }
  return paths;
}

}  // namespace quire
