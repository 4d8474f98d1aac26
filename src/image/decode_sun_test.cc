#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

std::vector<uint8_t> Sun(uint32_t width, uint32_t height, uint32_t depth, uint32_t type,
                         const std::vector<uint8_t>& colour_map, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> v;
  for (const uint32_t x : {0x59A66A95u, width, height, depth, static_cast<uint32_t>(data.size()), type,
                           colour_map.empty() ? 0u : 1u, static_cast<uint32_t>(colour_map.size())}) {
    for (int shift = 24; shift >= 0; shift -= 8) v.push_back(static_cast<uint8_t>(x >> shift));
  }
  v.insert(v.end(), colour_map.begin(), colour_map.end());
  v.insert(v.end(), data.begin(), data.end());
  return v;
}

TEST(DecodeSunTest, PaletteInPlanesAndRunsAcrossRows) {
  // Two entries: reds {1, 2}, greens {3, 4}, blues {5, 6}; 3x2 pixels of 8 bits, byte-encoded: a run
  // of 4 ones crossing into the second row, a literal 0x80 (an entry the map does not define: grey),
  // then a literal 0.
  const Image image = DecodeImage(Sun(3, 2, 8, 2, {1, 2, 3, 4, 5, 6}, {0x80, 3, 1, 0x80, 0, 0}), "t.ras");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{2, 4, 6, 2, 4, 6, 2, 4, 6, 2, 4, 6, 128, 128, 128, 1, 3, 5}));
}

TEST(DecodeSunTest, RawRowsPadTo16BitsAndOneBitIsInverted) {
  const Image image = DecodeImage(Sun(3, 2, 1, 1, {}, {0xA0, 0xEE, 0x40}), "t.ras");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{0, 0, 0, 255, 255, 255, 0, 0, 0,  //
                                             255, 255, 255, 0, 0, 0, 255, 255, 255}));
}

TEST(DecodeSunTest, WhatPillowRefusesIsRefusedNamingTheFile) {
  const auto refusal = [](const std::vector<uint8_t>& bytes) { return image::testing::DecodeRefusal(bytes, "t.ras"); };
  EXPECT_NE(refusal(Sun(3, 2, 8, 1, {}, {1, 2, 3, 4})).find("t.ras: truncated Sun raster"), std::string::npos);
  EXPECT_NE(refusal(Sun(3, 2, 8, 2, {}, {0x80, 9})).find("truncated Sun raster"), std::string::npos);
  EXPECT_NE(refusal(Sun(3, 2, 16, 1, {}, std::vector<uint8_t>(16))).find("16 bits per pixel"), std::string::npos);
  EXPECT_NE(refusal(Sun(3, 2, 24, 1, {1, 2, 3}, std::vector<uint8_t>(24))).find("with a colour map"),
            std::string::npos);
  EXPECT_NE(refusal(Sun(3, 2, 8, 6, {}, std::vector<uint8_t>(8))).find("type 6"), std::string::npos);
}

}  // namespace
}  // namespace vit
