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

void Put32(std::vector<uint8_t>& v, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) v[at + static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
}

// A BLP2 file: header, mipmap tables, a palette whose entry 0 is BGRA (1, 2, 3, 4), then `pixels`.
std::vector<uint8_t> Blp2(uint8_t encoding, uint8_t alpha_depth, uint8_t alpha_encoding, int width, int height,
                          const std::vector<uint8_t>& pixels) {
  std::vector<uint8_t> v(148 + 1024 + pixels.size(), 0);
  v[0] = 'B';
  v[1] = 'L';
  v[2] = 'P';
  v[3] = '2';
  Put32(v, 4, 1);
  v[8] = encoding;
  v[9] = alpha_depth;
  v[10] = alpha_encoding;
  Put32(v, 12, static_cast<uint32_t>(width));
  Put32(v, 16, static_cast<uint32_t>(height));
  Put32(v, 20, 148 + 1024);
  Put32(v, 84, static_cast<uint32_t>(pixels.size()));
  v[148] = 1;
  v[149] = 2;
  v[150] = 3;
  v[151] = 4;
  std::copy(pixels.begin(), pixels.end(), v.begin() + 148 + 1024);
  return v;
}

TEST(DecodeBlpTest, PaletteEntriesAreBgra) {
  const Image image = DecodeImage(Blp2(1, 0, 0, 2, 1, {0, 0}), "t.blp");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{3, 2, 1, 3, 2, 1}));
}

TEST(DecodeBlpTest, DxtEndpointsWidenByAShiftUnlikeDds) {
  // One DXT1 block: endpoints pure red (0xF800) and pure blue, every index 0.
  const Image image = DecodeImage(Blp2(2, 0, 0, 1, 1, {0x00, 0xF8, 0x1F, 0x00, 0, 0, 0, 0}), "t.blp");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{248, 0, 0}));
}

TEST(DecodeBlpTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Blp2(1, 0, 0, 2, 2, {0, 0, 0}), "t.blp").find("t.blp: BLP pixel data is shorter"),
            std::string::npos);
  EXPECT_NE(DecodeRefusal(Blp2(2, 0, 0, 8, 8, {1, 2, 3}), "t.blp").find("t.blp: truncated BLP"), std::string::npos);
  EXPECT_NE(DecodeRefusal(Blp2(3, 0, 0, 1, 1, {1, 2, 3, 4}), "t.blp").find("unsupported BLP2 encoding 3"),
            std::string::npos);
}

}  // namespace
}  // namespace vit
