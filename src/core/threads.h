// The one thread pool of the process is OpenMP's: Debian's oneDNN runs on GNU OpenMP, and a second
// pool would spin against it. Every parallel loop in vit goes through here.
#pragma once

#include <cstdint>

namespace vit::core {

// n <= 0: every core the process may run on.
void SetNumThreads(int n);
int NumThreads();

// Runs fn(i) for i in [0, n) on the pool, in static chunks.
template <typename Fn>
void ParallelFor(int64_t n, Fn&& fn) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) fn(i);
}

}  // namespace vit::core
