// How a loop of n items is cut for core::ParallelFor: pieces of about `grain` items (enough work to be
// worth a scheduling step), their number a multiple of the thread count whenever the loop is split at
// all, so that the static schedule hands every thread the same share, each piece a multiple of
// `align` items (whole vectors, whole cache lines).
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/threads.h"

namespace vit::kernels {

struct WorkSplit {
  int64_t pieces = 1;
  int64_t size = 0;  // items per piece; the last may be shorter
};

inline WorkSplit SplitWork(int64_t n, int64_t grain, int64_t align) {
  const int64_t threads = std::max(1, core::NumThreads());
  int64_t pieces = std::max<int64_t>(1, (n + grain - 1) / grain);
  if (pieces > 1) pieces = (pieces + threads - 1) / threads * threads;
  int64_t size = (n + pieces - 1) / pieces;
  size = std::max<int64_t>(align, (size + align - 1) / align * align);
  return {(n + size - 1) / size, size};
}

}  // namespace vit::kernels
