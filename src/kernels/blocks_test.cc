#include "kernels/blocks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace vit::kernels {
namespace {

template <int kFull, bool kEven>
std::vector<int> Sizes(int64_t n) {
  std::vector<int> sizes;
  int64_t next = 0;
  auto record = [&](auto size, int64_t start) {
    EXPECT_EQ(start, next) << "blocks must follow each other";
    sizes.push_back(decltype(size)::value);
    next = start + decltype(size)::value;
  };
  if constexpr (kEven) {
    ForEachEvenBlock<kFull>(n, record);
  } else {
    ForEachBlock<kFull>(n, record);
  }
  EXPECT_EQ(next, n) << "blocks must cover the loop";
  return sizes;
}

TEST(ForEachBlock, FullBlocksThenTheRemainder) {
  EXPECT_EQ((Sizes<4, false>(13)), (std::vector<int>{4, 4, 4, 1}));
  EXPECT_EQ((Sizes<6, false>(12)), (std::vector<int>{6, 6}));
  EXPECT_TRUE((Sizes<4, false>(0)).empty());
}

TEST(ForEachEvenBlock, FewestBlocksOfSizesDifferingByAtMostOne) {
  EXPECT_EQ((Sizes<4, true>(13)), (std::vector<int>{4, 3, 3, 3}));
  EXPECT_EQ((Sizes<4, true>(4)), (std::vector<int>{4}));
  EXPECT_EQ((Sizes<6, true>(197)).size(), 33u);
  EXPECT_TRUE((Sizes<4, true>(0)).empty());
  for (int64_t n = 1; n <= 100; ++n) {
    const std::vector<int> sizes = Sizes<4, true>(n);
    EXPECT_EQ(static_cast<int64_t>(sizes.size()), (n + 3) / 4) << n;
    const auto [smallest, largest] = std::minmax_element(sizes.begin(), sizes.end());
    EXPECT_LE(*largest, 4) << n;
    EXPECT_LE(*largest - *smallest, 1) << n;
  }
}

}  // namespace
}  // namespace vit::kernels
