#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/image.h"

namespace vit {
namespace {

using image::testing::DecodeRefusal;

void AppendFloat(std::vector<uint8_t>& v, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  for (int i = 3; i >= 0; --i) v.push_back(static_cast<uint8_t>(bits >> (8 * i)));
}

// A big-endian SPIDER image: a 27-field header of one 108-byte record, then `pixels`.
std::vector<uint8_t> Spider(int width, int height, const std::vector<float>& pixels, float iform = 1) {
  std::vector<float> h(28, 0.0f);
  h[1] = 1;
  h[2] = static_cast<float>(height);
  h[5] = iform;
  h[12] = static_cast<float>(width);
  h[13] = 1;
  h[22] = 108;
  h[23] = 108;
  std::vector<uint8_t> v;
  for (size_t i = 1; i < h.size(); ++i) AppendFloat(v, h[i]);
  for (float p : pixels) AppendFloat(v, p);
  return v;
}

TEST(DecodeSpiderTest, FloatsAreClippedAndTruncatedToGrey) {
  const Image image = DecodeImage(Spider(4, 1, {-3.0f, 7.9f, 300.0f, 254.99f}), "t.spi");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{0, 0, 0, 7, 7, 7, 255, 255, 255, 254, 254, 254}));
}

TEST(DecodeSpiderTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Spider(4, 2, {1, 2, 3}), "t.spi").find("t.spi: truncated SPIDER"), std::string::npos);
  // A volume (iform 3) is no 2D image to Pillow, and nothing else claims the bytes.
  EXPECT_NE(DecodeRefusal(Spider(1, 1, {1}, 3), "t.spi").find("t.spi: not an image"), std::string::npos);
}

}  // namespace
}  // namespace vit
