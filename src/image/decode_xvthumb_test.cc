#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/image.h"

namespace vit {
namespace {

using image::testing::DecodeRefusal;

std::vector<uint8_t> Xv(const std::string& header, const std::vector<uint8_t>& pixels) {
  std::vector<uint8_t> v(header.begin(), header.end());
  v.insert(v.end(), pixels.begin(), pixels.end());
  return v;
}

TEST(DecodeXvThumbTest, ThreeThreeTwoPalette) {
  // 0xFF: r 7, g 7, b 3 (white); 0x25: r 1, g 1, b 1 -> 36, 36, 85.
  const Image image = DecodeImage(Xv("P7 332\n#comment\n2 1 255\n", {0xFF, 0x25}), "t.xv");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{255, 255, 255, 36, 36, 85}));
}

TEST(DecodeXvThumbTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Xv("P7 332\n2 2 255\n", {1}), "t.xv").find("t.xv: truncated XV thumbnail"),
            std::string::npos);
}

}  // namespace
}  // namespace vit
