#include "kernels/work_split.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace vit::kernels {
namespace {

TEST(SplitWork, CoversEveryItemInAlignedEvenPieces) {
  for (int threads : {1, 2, 3, 16}) {
    core::SetNumThreads(threads);
    for (int64_t n : {1, 63, 64, 1000, 201728, 806912, 12345677}) {
      for (int64_t align : {1, 64}) {
        const WorkSplit s = SplitWork(n, 32 * 1024, align);
        SCOPED_TRACE(testing::Message() << threads << " threads, n=" << n << ", align " << align);
        ASSERT_GE(s.pieces, 1);
        EXPECT_EQ(s.size % align, 0);
        EXPECT_GE(s.pieces * s.size, n);          // every item in some piece
        EXPECT_LT((s.pieces - 1) * s.size, n);    // no empty piece
        if (n <= 32 * 1024) {
          EXPECT_EQ(s.pieces, 1);  // too little work to be worth splitting
        } else {
          // The static schedule gives thread t the t-th block of ceil(pieces / threads) pieces; no
          // thread may get much more than its n / threads share.
          const int64_t per_thread = (s.pieces + threads - 1) / threads;
          int64_t largest = 0;
          for (int t = 0; t < threads; ++t) {
            const int64_t begin = std::min(n, t * per_thread * s.size);
            const int64_t end = std::min(n, (t + 1) * per_thread * s.size);
            largest = std::max(largest, end - begin);
          }
          EXPECT_LE(static_cast<double>(largest), 1.02 * static_cast<double>(n) / threads + align * s.pieces);
        }
      }
    }
  }
  core::SetNumThreads(0);
}

}  // namespace
}  // namespace vit::kernels
