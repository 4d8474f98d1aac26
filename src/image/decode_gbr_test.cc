#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/image.h"

namespace vit {
namespace {

using image::testing::DecodeRefusal;

void Append32(std::vector<uint8_t>& v, uint32_t value) {
  for (int i = 3; i >= 0; --i) v.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// A version 2 brush named "b" with `depth` bytes a pixel.
std::vector<uint8_t> Gbr(uint32_t width, uint32_t height, uint32_t depth, const std::vector<uint8_t>& pixels) {
  std::vector<uint8_t> v;
  for (uint32_t field : {30u, 2u, width, height, depth}) Append32(v, field);
  v.insert(v.end(), {'G', 'I', 'M', 'P', 0, 0, 0, 10, 'b', 0});
  v.insert(v.end(), pixels.begin(), pixels.end());
  return v;
}

TEST(DecodeGbrTest, GreyAndRgba) {
  EXPECT_EQ(DecodeImage(Gbr(2, 1, 1, {7, 9}), "t.gbr").rgb, (std::vector<uint8_t>{7, 7, 7, 9, 9, 9}));
  EXPECT_EQ(DecodeImage(Gbr(1, 1, 4, {1, 2, 3, 4}), "t.gbr").rgb, (std::vector<uint8_t>{1, 2, 3}));
}

TEST(DecodeGbrTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Gbr(2, 2, 1, {1, 2, 3}), "t.gbr").find("t.gbr: truncated GIMP brush"), std::string::npos);
  // Depth 3 is no brush to Pillow: nothing else claims the bytes either.
  EXPECT_NE(DecodeRefusal(Gbr(1, 1, 3, {1, 2, 3}), "t.gbr").find("t.gbr: not an image"), std::string::npos);
}

}  // namespace
}  // namespace vit
