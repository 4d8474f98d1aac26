// Cutting a loop into blocks whose size a kernel takes as a template argument (register tiles): full
// blocks, then one block of the remainder, each call knowing its block size at compile time.
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

}  // namespace vit::kernels
