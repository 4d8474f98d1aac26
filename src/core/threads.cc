#include "core/threads.h"

#include <omp.h>
#include <sched.h>

namespace vit::core {

void SetNumThreads(int n) {
  if (n <= 0) {
    cpu_set_t set;
    n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : omp_get_num_procs();
  }
  omp_set_num_threads(n);
}

int NumThreads() { return omp_get_max_threads(); }

}  // namespace vit::core
