#include "image/dds_bptc.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace vit::image {
namespace {

// Writes fields into a 128-bit block, least significant bit first.
struct BlockWriter {
  std::array<uint8_t, 16> bytes{};
  int at = 0;
  void Put(uint32_t value, int count) {
    for (int i = 0; i < count; ++i, ++at) bytes[static_cast<size_t>(at >> 3)] |= static_cast<uint8_t>(((value >> i) & 1) << (at & 7));
  }
};

std::array<uint8_t, 3> Pixel(const std::array<uint8_t, 48>& rgb, int i) {
  return {rgb[static_cast<size_t>(3 * i)], rgb[static_cast<size_t>(3 * i + 1)], rgb[static_cast<size_t>(3 * i + 2)]};
}

TEST(DdsBptcTest, Bc7WithoutAModeBitIsBlack) {
  std::array<uint8_t, 16> block;
  block.fill(0xAB);
  block[0] = 0;
  std::array<uint8_t, 48> rgb;
  rgb.fill(7);
  DecodeBc7Block(block.data(), rgb);
  for (uint8_t v : rgb) EXPECT_EQ(v, 0);
}

TEST(DdsBptcTest, Bc7Mode6MixesItsEndpointsWithFourBitWeights) {
  // Mode 6: 7-bit endpoints plus a p-bit each (8 bits, no widening), 4-bit indices (3 for the anchor).
  BlockWriter w;
  w.Put(1 << 6, 7);
  const uint32_t e0[3] = {100, 40, 200}, e1[3] = {20, 240, 60};
  for (int c = 0; c < 3; ++c) {
    w.Put(e0[c] >> 1, 7);
    w.Put(e1[c] >> 1, 7);
  }
  w.Put(127, 7);  // alpha
  w.Put(127, 7);
  w.Put(0, 1);  // p-bits: the endpoints above are even
  w.Put(0, 1);
  w.Put(0, 3);  // pixel 0: weight 0
  w.Put(15, 4);  // pixel 1: weight 64
  w.Put(8, 4);   // pixel 2: weight 34
  std::array<uint8_t, 48> rgb{};
  DecodeBc7Block(w.bytes.data(), rgb);
  EXPECT_EQ(Pixel(rgb, 0), (std::array<uint8_t, 3>{100, 40, 200}));
  EXPECT_EQ(Pixel(rgb, 1), (std::array<uint8_t, 3>{20, 240, 60}));
  // ((64 - 34) * e0 + 34 * e1 + 32) >> 6
  EXPECT_EQ(Pixel(rgb, 2), (std::array<uint8_t, 3>{58, 146, 126}));
}

TEST(DdsBptcTest, Bc6hUnsignedFlatBlocksScaleHalfFloatsToBytes) {
  // Mode code 00011: one subset, 10-bit endpoints stored whole.
  auto flat = [](uint32_t value) {
    BlockWriter w;
    w.Put(3, 5);
    for (int i = 0; i < 6; ++i) w.Put(value, 10);
    std::array<uint8_t, 48> rgb{};
    DecodeBc6hBlock(w.bytes.data(), false, rgb);
    return Pixel(rgb, 5);
  };
  EXPECT_EQ(flat(0), (std::array<uint8_t, 3>{0, 0, 0}));
  // 0x3FF widens to 0xFFFF, 31/64 of it is the half 0x7BFF (65504): above 1, so 255.
  EXPECT_EQ(flat(0x3FF), (std::array<uint8_t, 3>{255, 255, 255}));
  // 0x155 widens to 21856, 31/64 of it is the half 0x295A = 1370 / 32768, times 255 truncates to 10.
  EXPECT_EQ(flat(0x155), (std::array<uint8_t, 3>{10, 10, 10}));
}

TEST(DdsBptcTest, Bc6hReservedModesAreBlack) {
  std::array<uint8_t, 16> block;
  block.fill(0x5C);
  block[0] = 0x13;  // 10011: reserved
  std::array<uint8_t, 48> rgb;
  rgb.fill(9);
  DecodeBc6hBlock(block.data(), false, rgb);
  for (uint8_t v : rgb) EXPECT_EQ(v, 0);
}

}  // namespace
}  // namespace vit::image
