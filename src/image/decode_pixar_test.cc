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

std::vector<uint8_t> Pixar(int width, int height, const std::vector<uint8_t>& rgb) {
  std::vector<uint8_t> v(1024 + rgb.size(), 0);
  v[0] = 0x80;
  v[1] = 0xE8;
  v[416] = static_cast<uint8_t>(height);
  v[418] = static_cast<uint8_t>(width);
  v[424] = 14;  // RGB
  v[426] = 2;   // 8 bits
  std::copy(rgb.begin(), rgb.end(), v.begin() + 1024);
  return v;
}

TEST(DecodePixarTest, DumpedRgb) {
  EXPECT_EQ(DecodeImage(Pixar(2, 1, {1, 2, 3, 4, 5, 6}), "t.pxr").rgb, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(DecodePixarTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Pixar(2, 1, {1, 2, 3}), "t.pxr").find("t.pxr: truncated PIXAR"), std::string::npos);
}

}  // namespace
}  // namespace vit
