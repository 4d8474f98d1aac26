#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

// A Paint 2.x file of the given encoded rows, its header's words XORing to zero unless told otherwise.
std::vector<uint8_t> MspV2(uint16_t width, const std::vector<std::vector<uint8_t>>& rows, bool checksum_ok = true) {
  std::vector<uint16_t> words = {0x694C, 0x536E, width, static_cast<uint16_t>(rows.size()), 1, 1, 1, 1, 0, 0,
                                 0,      0,      0,     0,                                   0, 0};
  uint16_t x = 0;
  for (const uint16_t v : words) x ^= v;
  words[12] = checksum_ok ? x : static_cast<uint16_t>(x ^ 1);
  for (const auto& row : rows) words.push_back(static_cast<uint16_t>(row.size()));
  std::vector<uint8_t> v;
  for (const uint16_t w : words) v.insert(v.end(), {static_cast<uint8_t>(w), static_cast<uint8_t>(w >> 8)});
  for (const auto& row : rows) v.insert(v.end(), row.begin(), row.end());
  return v;
}

TEST(DecodeMspTest, RunsLiteralsAndEmptyWhiteRows) {
  // 12 pixels wide: 2 bytes a row. Row 0 a run of two 0x0F bytes; row 1 empty (white); row 2 one
  // literal byte and a run of one.
  const Image image = DecodeImage(MspV2(12, {{0, 2, 0x0F}, {}, {1, 0xA0, 0, 1, 0x00}}), "t.msp");
  ASSERT_EQ(image.height, 3);
  auto pixel = [&](int x, int y) { return image.rgb[(static_cast<size_t>(y) * 12 + x) * 3]; };
  EXPECT_EQ(pixel(3, 0), 0);
  EXPECT_EQ(pixel(4, 0), 255);
  EXPECT_EQ(pixel(0, 1), 255);
  EXPECT_EQ(pixel(0, 2), 255);
  EXPECT_EQ(pixel(1, 2), 0);
  EXPECT_EQ(pixel(2, 2), 255);
}

TEST(DecodeMspTest, WhatPillowRefusesIsRefusedNamingTheFile) {
  const auto refusal = [](const std::vector<uint8_t>& bytes) { return image::testing::DecodeRefusal(bytes, "t.msp"); };
  EXPECT_NE(refusal(MspV2(8, {{1, 0}}, false)).find("t.msp: bad MSP checksum"), std::string::npos);
  EXPECT_NE(refusal(MspV2(8, {{0, 1}})).find("run is cut short"), std::string::npos);
  EXPECT_NE(refusal(MspV2(16, {{1, 0}})).find("less data than the picture needs"), std::string::npos);
  std::vector<uint8_t> cut = MspV2(8, {{1, 0}});
  cut.pop_back();
  EXPECT_NE(refusal(cut).find("row 0 needs 2 bytes"), std::string::npos);
}

}  // namespace
}  // namespace vit
