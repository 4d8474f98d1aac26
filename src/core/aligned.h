// Aligned, reusable buffers. Big activations are allocated once and reused: a first touch of fresh
// memory costs a page fault per 4 KiB page (costly on a virtual machine), so buffers ask for
// transparent huge pages and are never freed in the steady state.
#pragma once

#include <cstddef>
#include <memory>

namespace vit::core {

inline constexpr size_t kAlignment = 64;

// 64-byte aligned; blocks of 2 MiB and more are mapped on their own, 2 MiB aligned, and advised to use
// transparent huge pages.
void* AlignedAlloc(size_t bytes);
void AlignedFree(void* p) noexcept;

struct AlignedDeleter {
  void operator()(void* p) const noexcept { AlignedFree(p); }
};

template <typename T>
using AlignedPtr = std::unique_ptr<T[], AlignedDeleter>;

template <typename T>
AlignedPtr<T> AllocateArray(size_t count) {
  return AlignedPtr<T>(static_cast<T*>(AlignedAlloc(count * sizeof(T))));
}

// A grow-only float buffer: Reserve() reallocates only when asked for more than it holds.
class FloatBuffer {
 public:
  float* Reserve(size_t count);
  float* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }

 private:
  AlignedPtr<float> data_;
  size_t capacity_ = 0;
};

}  // namespace vit::core
