// The one thread pool of the process is OpenMP's: Debian's oneDNN runs on GNU OpenMP, and a second
// pool would spin against it. Every parallel loop in vit goes through here.
#pragma once

#include <omp.h>

#include <atomic>
#include <cstdint>

namespace vit::core {

// n <= 0: every core the process may run on.
void SetNumThreads(int n);
int NumThreads();
// n, or for n <= 0 the number of cores the process may run on.
int ResolveNumThreads(int n);

// The pool size is per calling thread in OpenMP (omp_set_num_threads changes only the caller's ICV; a
// thread that never set it gets every core), so a model run from a thread other than the one that loaded
// it sets its own count for the length of the run and leaves the caller's as it was.
class ScopedNumThreads {
 public:
  explicit ScopedNumThreads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~ScopedNumThreads() { omp_set_num_threads(saved_); }
  ScopedNumThreads(const ScopedNumThreads&) = delete;
  ScopedNumThreads& operator=(const ScopedNumThreads&) = delete;

 private:
  int saved_;
};

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

// Items [0, n) of a parallel region as one run of consecutive items per thread, where a thread done with
// its own run helps with the others': the owner takes from the front of its run and helpers from the
// back, so that what the owner prefetched for its next item stays its own. A static split alone makes the
// faster core wait for the slower one, and cores of a virtual machine seldom run at the same speed.
// Balancing needs n < 2^32 and at most kMaxTeam threads; beyond, each thread runs its own run only.
class WorkRuns {
 public:
  static constexpr int64_t kMaxTeam = 64;

  // Every thread of the region calls Init, then the region passes a Barrier(), then every thread Drains.
  void Init(int64_t n, int64_t thread, int64_t team) {
    if (Balances(n, team)) runs_[thread].bounds.store(Pack(n * thread / team, n * (thread + 1) / team));
  }
  // fn(item, next): next is whether item + 1 is still this thread's to do (worth prefetching for).
  template <typename Fn>
  void Drain(int64_t n, int64_t thread, int64_t team, Fn&& fn) {
    if (!Balances(n, team)) {
      const int64_t end = n * (thread + 1) / team;
      for (int64_t item = n * thread / team; item < end; ++item) fn(item, item + 1 < end);
      return;
    }
    bool more = false;
    for (int64_t item; (item = Take(runs_[thread], true, more)) >= 0;) fn(item, more);
    for (int64_t other = 1; other < team; ++other) {
      for (int64_t item; (item = Take(runs_[(thread + other) % team], false, more)) >= 0;) fn(item, false);
    }
  }

 private:
  // [front, back) in one word, so that owner and helpers take items with one compare-and-swap.
  struct alignas(64) Run {
    std::atomic<uint64_t> bounds;
  };
  static bool Balances(int64_t n, int64_t team) { return team <= kMaxTeam && n < (int64_t{1} << 32); }
  static uint64_t Pack(int64_t front, int64_t back) {
    return static_cast<uint64_t>(front) << 32 | static_cast<uint64_t>(back);
  }
  // The front item (the owner's) or the back one (a helper's), with `more` telling whether the run still
  // held another; -1 once the run is empty. Relaxed: items' inputs were published by the barrier before
  // any taking, and their outputs are read only after the region's closing barrier.
  static int64_t Take(Run& run, bool front_end, bool& more) {
    uint64_t b = run.bounds.load(std::memory_order_relaxed);
    for (;;) {
      const int64_t front = static_cast<int64_t>(b >> 32), back = static_cast<int64_t>(b & 0xffffffffu);
      if (front >= back) return -1;
      const uint64_t next = front_end ? Pack(front + 1, back) : Pack(front, back - 1);
      if (run.bounds.compare_exchange_weak(b, next, std::memory_order_relaxed)) {
        more = back - front > 1;
        return front_end ? front : back - 1;
      }
    }
  }

  Run runs_[kMaxTeam];
};

// Runs fn(i) for i in [0, n) on the pool, as WorkRuns: for items whose cost varies, or cores whose
// speed does.
template <typename Fn>
void BalancedFor(int64_t n, Fn&& fn) {
  WorkRuns runs;
  ParallelRegion([&](int64_t thread, int64_t team) {
    runs.Init(n, thread, team);
    Barrier();
    runs.Drain(n, thread, team, [&](int64_t item, bool) { fn(item); });
  });
}

}  // namespace vit::core
