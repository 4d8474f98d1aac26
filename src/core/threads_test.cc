#include "core/threads.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace vit::core {
namespace {

// Restores the pool's size after a test changes it.
struct PoolSize {
  int before = NumThreads();
  ~PoolSize() { SetNumThreads(before); }
};

TEST(BalancedFor, RunsEveryItemOnceWhateverTheTeam) {
  PoolSize restore;
  for (int threads : {1, 2, 3, 7}) {
    SetNumThreads(threads);
    for (int64_t n : {0, 1, 2, 5, 63, 1000}) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(n));
      BalancedFor(n, [&](int64_t i) { runs[static_cast<size_t>(i)].fetch_add(1); });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(runs[static_cast<size_t>(i)].load(), 1) << i << " of " << n;
    }
  }
}

TEST(BalancedFor, AFreeThreadTakesTheSlowOnesItemsFromTheBack) {
  PoolSize restore;
  SetNumThreads(2);
  constexpr int64_t n = 20;
  std::vector<int> owner(n, -1);
  BalancedFor(n, [&](int64_t i) {
    const int thread = omp_get_thread_num();
    owner[static_cast<size_t>(i)] = thread;
    if (thread == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a slow core
  });
  if (omp_get_max_threads() < 2) GTEST_SKIP() << "no second thread";
  // Thread 0's run is items 0-9: it starts at the front, thread 1 ends up taking the back of it.
  EXPECT_EQ(owner[0], 0);
  EXPECT_EQ(owner[9], 1);
  int taken = 0;
  for (int64_t i = 0; i < n / 2; ++i) taken += owner[static_cast<size_t>(i)] == 1;
  EXPECT_GE(taken, 3);
  for (int64_t i = n / 2; i < n; ++i) EXPECT_EQ(owner[static_cast<size_t>(i)], 1) << i;
}

}  // namespace
}  // namespace vit::core
