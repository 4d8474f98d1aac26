#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/image.h"

namespace vit {
namespace {

using image::testing::DecodeRefusal;

// A Photo CD file whose base image has every luma sample `y` and every chroma sample `cb`, `cr`.
std::vector<uint8_t> Pcd(uint8_t y, uint8_t cb, uint8_t cr, size_t cut = 0) {
  std::vector<uint8_t> v(96 * 2048, 0);
  v[2048] = 'P';
  v[2049] = 'C';
  v[2050] = 'D';
  v[2051] = '_';
  for (int pair = 0; pair < 256; ++pair) {
    v.insert(v.end(), 2 * 768, y);
    v.insert(v.end(), 384, cb);
    v.insert(v.end(), 384, cr);
  }
  v.resize(v.size() - cut);
  return v;
}

TEST(DecodePcdTest, NeutralChromaIsGrey) {
  // Cb 156 and Cr 137 are PhotoYCC's zero chroma; luma 100 scales by 1.3584 to 136.
  const Image image = DecodeImage(Pcd(100, 156, 137), "t.pcd");
  ASSERT_EQ(image.width, 768);
  ASSERT_EQ(image.height, 512);
  EXPECT_EQ(std::vector<uint8_t>(image.rgb.begin(), image.rgb.begin() + 3), (std::vector<uint8_t>{136, 136, 136}));
}

TEST(DecodePcdTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Pcd(1, 2, 3, 1), "t.pcd").find("t.pcd: truncated Photo CD"), std::string::npos);
  auto rotated = Pcd(1, 2, 3);
  rotated[2048 + 1538] = 1;
  EXPECT_NE(DecodeRefusal(rotated, "t.pcd").find("t.pcd: rotated Photo CD"), std::string::npos);
}

}  // namespace
}  // namespace vit
