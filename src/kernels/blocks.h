// Cutting a loop into blocks whose size a kernel takes as a template argument (register tiles), each
// call knowing its block size at compile time.
#pragma once

#include <cstdint>
#include <type_traits>

namespace vit::kernels {

namespace blocks_detail {
template <int kSize, typename Fn>
inline void Remainder(int64_t left, int64_t start, Fn& fn) {
  if constexpr (kSize > 0) {
    if (left == kSize) {
      fn(std::integral_constant<int, kSize>{}, start);
    } else {
      Remainder<kSize - 1>(left, start, fn);
    }
  }
}
}  // namespace blocks_detail

// fn(std::integral_constant<int, size>{}, start) over [0, n): blocks of kFull, then one of n % kFull.
template <int kFull, typename Fn>
inline void ForEachBlock(int64_t n, Fn&& fn) {
  int64_t start = 0;
  for (; start + kFull <= n; start += kFull) fn(std::integral_constant<int, kFull>{}, start);
  blocks_detail::Remainder<kFull - 1>(n - start, start, fn);
}

// The same blocks of at most kFull, but as few as that allows and of sizes that differ by at most one:
// 13 = 4 + 3 + 3 + 3 rather than 4 + 4 + 4 + 1. For a register tile whose narrow forms run far below
// its wide ones (a one-vector tile waits on its loads and on the FMA latency).
template <int kFull, typename Fn>
inline void ForEachEvenBlock(int64_t n, Fn&& fn) {
  const int64_t blocks = (n + kFull - 1) / kFull;
  int64_t start = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t size = n / blocks + (b < n % blocks ? 1 : 0);
    blocks_detail::Remainder<kFull>(size, start, fn);
    start += size;
  }
}

}  // namespace vit::kernels
