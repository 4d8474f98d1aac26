#include "core/aligned.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace vit::core {

void* AlignedAlloc(size_t bytes) {
  constexpr size_t kHugePage = size_t{2} << 20;
  const bool huge = bytes >= kHugePage;
  const size_t alignment = huge ? kHugePage : kAlignment;
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded);
  if (p == nullptr) throw std::bad_alloc();
  if (huge) madvise(p, rounded, MADV_HUGEPAGE);  // advisory: a kernel without THP just ignores it
  return p;
}

void AlignedFree(void* p) noexcept { std::free(p); }

float* FloatBuffer::Reserve(size_t count) {
  if (count > capacity_) {
    data_ = AllocateArray<float>(count);
    capacity_ = count;
  }
  return data_.get();
}

}  // namespace vit::core
