#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/image.h"

namespace vit {
namespace {

using image::testing::DecodeRefusal;

void Append32(std::vector<uint8_t>& v, int32_t value) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(static_cast<uint32_t>(value) >> (8 * i)));
}

// An FTEX file of one format whose mipmap (`size` bytes stated) follows the header.
std::vector<uint8_t> Ftex(int width, int height, int format, int32_t size, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> v = {'F', 'T', 'E', 'X'};
  for (int32_t field : {1, width, height, 1, 1, format, 32, size}) Append32(v, field);
  v.insert(v.end(), data.begin(), data.end());
  return v;
}

TEST(DecodeFtexTest, RawAndDxt1) {
  EXPECT_EQ(DecodeImage(Ftex(1, 1, 1, 3, {1, 2, 3}), "t.ftu").rgb, (std::vector<uint8_t>{1, 2, 3}));
  // DXT1 widens 5:6:5 by repeating the top bits, as Pillow's C decoder does.
  EXPECT_EQ(DecodeImage(Ftex(1, 1, 0, -1, {0x00, 0xF8, 0, 0, 0, 0, 0, 0}), "t.ftc").rgb,
            (std::vector<uint8_t>{255, 0, 0}));
}

TEST(DecodeFtexTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Ftex(2, 1, 1, 6, {1, 2, 3}), "t.ftu").find("t.ftu: truncated FTEX"), std::string::npos);
  EXPECT_NE(DecodeRefusal(Ftex(1, 1, 1, 2, {1, 2, 3}), "t.ftu").find("t.ftu: truncated FTEX"), std::string::npos);
  EXPECT_NE(DecodeRefusal(Ftex(1, 1, 9, 3, {1, 2, 3}), "t.ftu").find("compression format 9"), std::string::npos);
}

}  // namespace
}  // namespace vit
