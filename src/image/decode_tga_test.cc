#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

std::vector<uint8_t> Tga(int width, int height, uint8_t type, uint8_t depth, const std::vector<uint8_t>& data,
                         uint8_t flags = 0x20) {
  std::vector<uint8_t> v(18 + data.size(), 0);
  v[2] = type;
  v[12] = static_cast<uint8_t>(width);
  v[13] = static_cast<uint8_t>(width >> 8);
  v[14] = static_cast<uint8_t>(height);
  v[15] = static_cast<uint8_t>(height >> 8);
  v[16] = depth;
  v[17] = flags;
  std::copy(data.begin(), data.end(), v.begin() + 18);
  return v;
}

std::string Refusal(const std::vector<uint8_t>& bytes) { return image::testing::DecodeRefusal(bytes, "t.tga"); }

TEST(DecodeTgaTest, BottomUpMirroredRgb) {
  // Origin bottom right: the first row in the file is the bottom one, and rows run right to left.
  const Image image = DecodeImage(Tga(2, 2, 2, 24, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 0x10), "t.tga");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}));
}

TEST(DecodeTgaTest, RleRunsAndLiterals) {
  const Image image = DecodeImage(Tga(3, 1, 11, 8, {0x81, 7, 0x00, 9}), "t.tga");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{7, 7, 7, 7, 7, 7, 9, 9, 9}));
}

TEST(DecodeTgaTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(Refusal(Tga(3, 2, 11, 8, {0x85, 77})).find("t.tga: TGA RLE packet runs past the end of its row"),
            std::string::npos);
  EXPECT_NE(Refusal(Tga(3, 2, 2, 24, {1, 2, 3})).find("truncated TGA"), std::string::npos);
  EXPECT_NE(Refusal(Tga(300, 300, 10, 24, {0x81, 1})).find("truncated TGA"), std::string::npos);
  EXPECT_NE(Refusal(Tga(65535, 65535, 10, 24, {})).find("decompression-bomb"), std::string::npos);
}

}  // namespace
}  // namespace vit
