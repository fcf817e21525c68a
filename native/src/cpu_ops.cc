#include "cpu_ops.h"

#include <mutex>

#include "gqa_op.h"
#include "q4_matmul_op.h"

namespace quire {

void UseCpuOps(Ort::SessionOptions& so, SimdPath int4, SimdPath attention) {
  // A session takes one com.microsoft domain, so there is one per choice of ops; sessions keep pointers to them,
  // so they live as long as the process. kPortable (no op of Quire's) is the last of the 3 paths.
  static std::mutex mutex;
  static Ort::CustomOpDomain* domains[9] = {};
  const int portable = static_cast<int>(SimdPath::kPortable);
  const int choice = (portable - static_cast<int>(int4)) + 3 * (portable - static_cast<int>(attention));
  if (choice == 0) return;
  std::lock_guard<std::mutex> lock(mutex);
  if (!domains[choice]) {
    auto* domain = new Ort::CustomOpDomain("com.microsoft");
    if (int4 != SimdPath::kPortable) AddInt4Ops(*domain, int4);
    if (attention != SimdPath::kPortable) AddAttentionOps(*domain, attention);
    domains[choice] = domain;
  }
  so.Add(*domains[choice]);
}

}  // namespace quire
