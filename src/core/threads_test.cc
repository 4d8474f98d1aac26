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
  // 65: more threads than WorkRuns balances, where each runs its own run only.
  for (int threads : {1, 2, 3, 7, 65}) {
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
  std::atomic<int> team{0};
  BalancedFor(n, [&](int64_t i) {
    const int thread = omp_get_thread_num();
    team = omp_get_num_threads();
    owner[static_cast<size_t>(i)] = thread;
    if (thread == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a slow core
  });
  if (team < 2) GTEST_SKIP() << "the pool ran one thread (OMP_THREAD_LIMIT or OMP_DYNAMIC?)";
  // Split alone, thread 0 would run items 0-9 (200 ms); thread 1 takes part of them.
  int slow_items = 0;
  for (int o : owner) slow_items += o == 0;
  EXPECT_LT(slow_items, 10);
  // Owners take from the front of their runs, helpers from the back: in each run, the owner's items come
  // first and the helper's last, whichever thread got ahead.
  for (int64_t run = 0; run < 2; ++run) {
    const int64_t begin = run * n / 2, end = begin + n / 2;
    for (int64_t i = begin + 1; i < end; ++i) {
      const bool helper_then_owner = owner[static_cast<size_t>(i - 1)] != run && owner[static_cast<size_t>(i)] == run;
      EXPECT_FALSE(helper_then_owner) << "item " << i << " of run " << run;
    }
  }
}

}  // namespace
}  // namespace vit::core
