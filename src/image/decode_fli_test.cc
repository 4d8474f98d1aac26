#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/image.h"

namespace vit {
namespace {

using image::testing::DecodeRefusal;

void Put16(std::vector<uint8_t>& v, size_t at, uint32_t value) {
  v[at] = static_cast<uint8_t>(value);
  v[at + 1] = static_cast<uint8_t>(value >> 8);
}

void Append16(std::vector<uint8_t>& v, uint32_t value) {
  v.push_back(static_cast<uint8_t>(value));
  v.push_back(static_cast<uint8_t>(value >> 8));
}

void Append32(std::vector<uint8_t>& v, uint32_t value) {
  Append16(v, value & 0xFFFF);
  Append16(v, value >> 16);
}

std::vector<uint8_t> Chunk(uint32_t type, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> c;
  Append32(c, static_cast<uint32_t>(6 + data.size()));
  Append16(c, type);
  c.insert(c.end(), data.begin(), data.end());
  return c;
}

// An FLC file of one frame made of `chunks`.
std::vector<uint8_t> Flc(int width, int height, const std::vector<std::vector<uint8_t>>& chunks) {
  std::vector<uint8_t> body;
  for (const auto& c : chunks) body.insert(body.end(), c.begin(), c.end());
  std::vector<uint8_t> v(128, 0);
  Put16(v, 4, 0xAF12);
  Put16(v, 6, 1);
  Put16(v, 8, static_cast<uint32_t>(width));
  Put16(v, 10, static_cast<uint32_t>(height));
  Put16(v, 14, 3);
  Append32(v, static_cast<uint32_t>(16 + body.size()));
  Append16(v, 0xF1FA);
  Append16(v, static_cast<uint32_t>(chunks.size()));
  v.resize(v.size() + 8, 0);
  v.insert(v.end(), body.begin(), body.end());
  return v;
}

TEST(DecodeFliTest, ByteRunThroughTheColourPalette) {
  // COLOR (6-bit): one packet setting entries 1 and 2 after skipping entry 0.
  const auto palette = Chunk(11, {1, 0, 1, 2, 10, 20, 30, 63, 0, 1});
  // BRUN, 3x1: a run of two 1s, then a literal 2.
  const auto brun = Chunk(15, {0, 2, 1, 0xFF, 2, 0});
  const Image image = DecodeImage(Flc(3, 1, {palette, brun}), "t.fli");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{40, 80, 120, 40, 80, 120, 252, 0, 4}));
}

TEST(DecodeFliTest, DeltaChunksLeaveTheRestAtIndexZero) {
  // LC: starting at line 1, one line: skip 1, copy 1 pixel of index 7 (grey ramp: 7,7,7).
  const auto lc = Chunk(12, {1, 0, 1, 0, 1, 1, 1, 7});
  const Image image = DecodeImage(Flc(2, 2, {lc}), "t.flc");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 7}));
}

TEST(DecodeFliTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Flc(2, 2, {Chunk(99, {0, 0, 0, 0})}), "t.flc").find("t.flc: unknown FLI chunk type 99"),
            std::string::npos);
  EXPECT_NE(DecodeRefusal(Flc(4, 1, {Chunk(15, {0, 2, 1, 5, 1})}), "t.flc").find("t.flc: FLI BRUN chunk: line 0"),
            std::string::npos);
  auto cut = Flc(2, 2, {Chunk(16, {1, 2, 3, 4})});
  cut.resize(cut.size() - 2);
  EXPECT_NE(DecodeRefusal(cut, "t.flc").find("t.flc: truncated FLI"), std::string::npos);
  EXPECT_NE(DecodeRefusal(Flc(65535, 65535, {}), "t.flc").find("decompression-bomb"), std::string::npos);
}

}  // namespace
}  // namespace vit
