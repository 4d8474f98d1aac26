#include "core/aligned.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>

namespace vit::core {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

// Blocks of huge pages come straight from mmap, so that nothing else shares their 2 MiB pages: a malloc
// chunk header written just before a block would fault in a whole huge page of the block before it.
// Their sizes are kept here for munmap; they are few (weights and workspaces) and allocated at load.
std::mutex huge_mutex;
std::unordered_map<void*, size_t>& HugeBlocks() {
  static auto* blocks = new std::unordered_map<void*, size_t>();  // outlives static destructors
  return *blocks;
}

void* MapHuge(size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t rounded = (bytes + page - 1) / page * page;
  void* raw = mmap(nullptr, rounded + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  // Trim to a 2 MiB boundary so that the block's whole 2 MiB stretches can be huge pages.
  const auto begin = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (begin + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > begin) munmap(raw, aligned - begin);
  const uintptr_t tail = aligned + rounded;
  const uintptr_t end = begin + rounded + kHugePage;
  if (end > tail) munmap(reinterpret_cast<void*>(tail), end - tail);
  void* p = reinterpret_cast<void*>(aligned);
  // Only the whole huge pages: a partial last one would be faulted in whole, costing up to 2 MiB of
  // memory per block for nothing. Advisory: a kernel without THP just ignores it.
  madvise(p, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
  std::lock_guard lock(huge_mutex);
  HugeBlocks().emplace(p, rounded);
  return p;
}

}  // namespace

void* AlignedAlloc(size_t bytes) {
  if (bytes >= kHugePage) return MapHuge(bytes);
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void AlignedFree(void* p) noexcept {
  if (p == nullptr) return;
  if (reinterpret_cast<uintptr_t>(p) % kHugePage == 0) {
    size_t bytes = 0;
    {
      std::lock_guard lock(huge_mutex);
      auto it = HugeBlocks().find(p);
      if (it != HugeBlocks().end()) {
        bytes = it->second;
        HugeBlocks().erase(it);
      }
    }
    if (bytes != 0) {
      munmap(p, bytes);
      return;
    }
  }
  std::free(p);
}

float* FloatBuffer::Reserve(size_t count) {
  if (count > capacity_) {
    data_ = AllocateArray<float>(count);
    capacity_ = count;
  }
  return data_.get();
}

}  // namespace vit::core
