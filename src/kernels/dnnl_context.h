// The one oneDNN CPU engine of the process, a stream per calling thread, and per-thread grow-only
// scratch for converted GEMM inputs. oneDNN runs on OpenMP, the process's only thread pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>

#include "core/aligned.h"

namespace vit::kernels {

dnnl::engine& Engine();
// CPU streams are cheap but not meant to be shared between threads executing at once.
dnnl::stream& ThreadStream();

// Grow-only buffers owned by the calling thread: they reach the largest size asked and stay there.
// 64-byte aligned: these are the GEMM's inputs, and AMX tile loads and AVX-512 loads of rows that
// straddle cache lines cost the matmul about a quarter of its speed.
struct ThreadScratchBuffers {
  core::FloatBuffer bf16_storage, int8_storage;  // floats as units of storage
  core::FloatBuffer x_scales;  // int8: the activation scale of each row group
  core::FloatBuffer group_biases;  // int8: the bias of each row group's matmul, offset for its scale

  uint16_t* Bf16(size_t count) { return reinterpret_cast<uint16_t*>(bf16_storage.Reserve((count + 1) / 2)); }
  uint8_t* Int8(size_t count) { return reinterpret_cast<uint8_t*>(int8_storage.Reserve((count + 3) / 4)); }
  float* XScales(size_t count) { return x_scales.Reserve(count); }
  float* GroupBiases(size_t count) { return group_biases.Reserve(count); }
};
ThreadScratchBuffers& ThreadScratch();

}  // namespace vit::kernels
