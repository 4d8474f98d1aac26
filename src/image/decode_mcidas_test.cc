#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/image.h"

namespace vit {
namespace {

using image::testing::DecodeRefusal;

void PutWord(std::vector<uint8_t>& v, int index, int32_t value) {
  for (int i = 0; i < 4; ++i) v[4 * (index - 1) + i] = static_cast<uint8_t>(static_cast<uint32_t>(value) >> (24 - 8 * i));
}

// A McIdas area of `depth`-byte samples right after the 256-byte directory.
std::vector<uint8_t> Area(int width, int height, int depth, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> v(256 + data.size(), 0);
  PutWord(v, 2, 4);
  PutWord(v, 9, height);
  PutWord(v, 10, width);
  PutWord(v, 11, depth);
  PutWord(v, 14, 1);
  PutWord(v, 34, 256);
  std::copy(data.begin(), data.end(), v.begin() + 256);
  return v;
}

TEST(DecodeMcIdasTest, WideSamplesClipToGrey) {
  // Big-endian 16-bit 5 and 300.
  EXPECT_EQ(DecodeImage(Area(2, 1, 2, {0, 5, 1, 44}), "t.area").rgb, (std::vector<uint8_t>{5, 5, 5, 255, 255, 255}));
}

TEST(DecodeMcIdasTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Area(2, 2, 1, {1, 2, 3}), "t.area").find("t.area: truncated McIdas"), std::string::npos);
}

}  // namespace
}  // namespace vit
