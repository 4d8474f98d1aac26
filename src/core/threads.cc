#include "core/threads.h"

#include <omp.h>
#include <sched.h>

namespace vit::core {

int ResolveNumThreads(int n) {
  if (n > 0) return n;
  cpu_set_t set;
  return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : omp_get_num_procs();
}

void SetNumThreads(int n) { omp_set_num_threads(ResolveNumThreads(n)); }

int NumThreads() { return omp_get_max_threads(); }

}  // namespace vit::core
