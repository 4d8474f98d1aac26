#include "adapt/blas_threads.h"

#include <mutex>

// OpenBLAS's controls; weak so that another BLAS behind libblas.so.3 (reference, BLIS) links too.
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));
// Joins OpenBLAS's pool threads (it does so before a fork); a later call with more than one thread would
// start them again, which openblas_set_num_threads(1) rules out.
extern "C" int blas_thread_shutdown_(void) __attribute__((weak));

namespace vit::adapt {

void KeepBlasOnCallingThread() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (openblas_set_num_threads != nullptr) openblas_set_num_threads(1);
    if (blas_thread_shutdown_ != nullptr) blas_thread_shutdown_();
  });
}

namespace {

// Runs when the program (or the library holding this layer) loads, after OpenBLAS's constructor has
// started its pool: `vit embed --threads 1` then runs on one thread, not two.
[[gnu::constructor]] void StopBlasPoolAtLoad() { KeepBlasOnCallingThread(); }

}  // namespace
}  // namespace vit::adapt
