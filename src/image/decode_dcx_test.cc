#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

// The magic number, a directory of `offsets` and its closing zero, then `pages` (offsets are the
// caller's to get right).
std::vector<uint8_t> Dcx(const std::vector<uint32_t>& offsets, const std::vector<uint8_t>& pages) {
  std::vector<uint8_t> v;
  for (uint32_t x : offsets) {
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
  }
  v.insert(v.begin(), {0xB1, 0x68, 0xDE, 0x3A});
  v.insert(v.end(), {0, 0, 0, 0});
  v.insert(v.end(), pages.begin(), pages.end());
  return v;
}

// A 1-bit 8x1 PCX page whose one row is `row`.
std::vector<uint8_t> BilevelPage(uint8_t row) {
  std::vector<uint8_t> v(128, 0);
  v[0] = 10;
  v[1] = 5;
  v[2] = 1;
  v[3] = 1;
  v[8] = 7;
  v[65] = 1;
  v[66] = 1;
  v.push_back(row);
  return v;
}

TEST(DecodeDcxTest, TheFirstPageAtItsOffset) {
  std::vector<uint8_t> pages = BilevelPage(0x0F);
  const std::vector<uint8_t> second = BilevelPage(0xF0);
  pages.insert(pages.end(), second.begin(), second.end());
  const Image image = DecodeImage(Dcx({16, 16 + 129}, pages), "t.dcx");
  ASSERT_EQ(image.width, 8);
  EXPECT_EQ(image.rgb[0], 0);
  EXPECT_EQ(image.rgb[3 * 7], 255);
}

TEST(DecodeDcxTest, WhatPillowRefusesIsRefusedNamingTheFile) {
  const auto refusal = [](const std::vector<uint8_t>& bytes) { return image::testing::DecodeRefusal(bytes, "t.dcx"); };
  EXPECT_NE(refusal(Dcx({}, BilevelPage(0))).find("t.dcx: DCX file without pages"), std::string::npos);
  EXPECT_NE(refusal(Dcx({4000}, BilevelPage(0))).find("is not a PCX image"), std::string::npos);
  std::vector<uint8_t> cut = Dcx({12}, {});
  cut.resize(9);
  EXPECT_NE(refusal(cut).find("directory cut short"), std::string::npos);
}

}  // namespace
}  // namespace vit
