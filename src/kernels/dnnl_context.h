// The one oneDNN CPU engine of the process, a stream per calling thread, and per-thread grow-only
// scratch for converted GEMM inputs. oneDNN runs on OpenMP, the process's only thread pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

namespace vit::kernels {

dnnl::engine& Engine();
// CPU streams are cheap but not meant to be shared between threads executing at once.
dnnl::stream& ThreadStream();

// Grow-only buffers owned by the calling thread: they reach the largest size asked and stay there.
struct ThreadScratchBuffers {
  std::vector<uint16_t> bf16;
  std::vector<int8_t> int8;
  float x_scale = 1.f;  // the activation scale of the int8 GEMM running on this thread

  uint16_t* Bf16(size_t count) {
    if (bf16.size() < count) bf16.resize(count);
    return bf16.data();
  }
  int8_t* Int8(size_t count) {
    if (int8.size() < count) int8.resize(count);
    return int8.data();
  }
};
ThreadScratchBuffers& ThreadScratch();

}  // namespace vit::kernels
