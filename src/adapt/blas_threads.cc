#include "adapt/blas_threads.h"

#include <mutex>

// OpenBLAS's control function; weak so that another BLAS behind libblas.so.3 (reference, BLIS) links too.
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

namespace vit::adapt {

void KeepBlasOnCallingThread() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (openblas_set_num_threads != nullptr) openblas_set_num_threads(1);
  });
}

}  // namespace vit::adapt
