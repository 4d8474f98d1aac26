#include "core/aligned.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

namespace vit::core {
namespace {

bool Aligned(const void* p, size_t alignment) { return reinterpret_cast<uintptr_t>(p) % alignment == 0; }

TEST(AlignedAlloc, SmallBlocksAre64ByteAlignedAndUsable) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{63}, size_t{4096}, size_t{1} << 20}) {
    auto p = AllocateArray<unsigned char>(bytes);
    ASSERT_NE(p.get(), nullptr);
    EXPECT_TRUE(Aligned(p.get(), kAlignment)) << bytes;
    std::memset(p.get(), 0xab, bytes);
  }
}

TEST(AlignedAlloc, BigBlocksAreHugePageAlignedZeroedAndUsable) {
  const size_t bytes = (size_t{5} << 20) + 12345;
  auto p = AllocateArray<unsigned char>(bytes);
  ASSERT_NE(p.get(), nullptr);
  EXPECT_TRUE(Aligned(p.get(), size_t{2} << 20));
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[bytes - 1], 0);
  std::memset(p.get(), 0xcd, bytes);
  EXPECT_EQ(p[bytes - 1], 0xcd);
}

TEST(AlignedAlloc, FreedBigBlocksAreUnmapped) {
  // Reading /proc/self/maps is Linux-only, as is the mmap behind big blocks.
  auto mapped = [](const void* p) {
    std::ifstream maps("/proc/self/maps");
    const auto address = reinterpret_cast<uintptr_t>(p);
    std::string line;
    while (std::getline(maps, line)) {
      const uintptr_t begin = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
      const uintptr_t end = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
      if (address >= begin && address < end) return true;
    }
    return false;
  };
  void* p = AlignedAlloc(size_t{4} << 20);
  static_cast<char*>(p)[0] = 1;
  EXPECT_TRUE(mapped(p));
  AlignedFree(p);
  EXPECT_FALSE(mapped(p));
  AlignedFree(nullptr);  // a no-op, as free(nullptr)
}

}  // namespace
}  // namespace vit::core
