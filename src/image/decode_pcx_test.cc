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

// A 128-byte PCX header for a width x height picture, then `data`.
std::vector<uint8_t> Pcx(int width, int height, uint8_t bits, uint8_t planes, uint16_t stride,
                         const std::vector<uint8_t>& data) {
  std::vector<uint8_t> v(128 + data.size(), 0);
  v[0] = 10;
  v[1] = 5;
  v[2] = 1;
  v[3] = bits;
  v[8] = static_cast<uint8_t>(width - 1);
  v[10] = static_cast<uint8_t>(height - 1);
  v[65] = planes;
  v[66] = static_cast<uint8_t>(stride);
  std::copy(data.begin(), data.end(), v.begin() + 128);
  return v;
}

std::string Refusal(const std::vector<uint8_t>& bytes) { return image::testing::DecodeRefusal(bytes, "t.pcx"); }

TEST(DecodePcxTest, PlanarRgbRowsWithRuns) {
  // One row of 2 pixels: R plane as a run, G and B planes literal.
  const Image image = DecodeImage(Pcx(2, 1, 8, 3, 2, {0xC2, 200, 1, 2, 3, 4}), "t.pcx");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{200, 1, 3, 200, 2, 4}));
}

TEST(DecodePcxTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(Refusal(Pcx(2, 2, 8, 3, 2, {0xC2, 200})).find("t.pcx: truncated PCX"), std::string::npos);
  EXPECT_NE(Refusal(Pcx(2, 1, 8, 3, 2, {0xC7, 200})).find("runs past the end of its row"), std::string::npos);
  // Grey 8-bit needs the 769 bytes Pillow seeks back from the end for its palette.
  EXPECT_NE(Refusal(Pcx(2, 1, 8, 1, 2, {1, 2})).find("769"), std::string::npos);
  EXPECT_NE(Refusal(Pcx(2, 1, 4, 1, 1, {1, 2})).find("unknown PCX mode"), std::string::npos);
}

}  // namespace
}  // namespace vit
