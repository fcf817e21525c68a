#include "cpu_ops.h"

#include <mutex>

#include "gqa_op.h"
#include "q4_matmul_op.h"

namespace quire {

void UseCpuOps(Ort::SessionOptions& so, bool int4, SimdPath attention) {
  // A session takes one com.microsoft domain, so there is one per choice of ops; sessions keep pointers to them,
  // so they live as long as the process.
  static std::mutex mutex;
  static Ort::CustomOpDomain* domains[6] = {};
  const int choice = (int4 ? 1 : 0) + 2 * (attention == SimdPath::kAvx512 ? 1 : attention == SimdPath::kAvx2 ? 2 : 0);
  if (choice == 0) return;
  std::lock_guard<std::mutex> lock(mutex);
  if (!domains[choice]) {
    auto* domain = new Ort::CustomOpDomain("com.microsoft");
    if (int4) AddInt4Ops(*domain);
    if (attention != SimdPath::kPortable) AddAttentionOps(*domain, attention);
    domains[choice] = domain;
  }
  so.Add(*domains[choice]);
}

}  // namespace quire
