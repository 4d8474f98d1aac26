// The one thread pool of the process is OpenMP's: Debian's oneDNN runs on GNU OpenMP, and a second
// pool would spin against it. Every parallel loop in vit goes through here.
#pragma once

#include <omp.h>

#include <cstdint>

namespace vit::core {

// n <= 0: every core the process may run on.
void SetNumThreads(int n);
int NumThreads();

// Runs fn(thread, threads) once on each thread of the pool; a kernel with phases separates them with
// Barrier() instead of paying for a parallel region each.
template <typename Fn>
void ParallelRegion(Fn&& fn) {
#pragma omp parallel
  fn(static_cast<int64_t>(omp_get_thread_num()), static_cast<int64_t>(omp_get_num_threads()));
}

// Inside ParallelRegion: waits until every thread of the region has arrived.
inline void Barrier() {
#pragma omp barrier
}

// Runs fn(i) for i in [0, n) on the pool, in static chunks.
template <typename Fn>
void ParallelFor(int64_t n, Fn&& fn) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) fn(i);
}

}  // namespace vit::core
