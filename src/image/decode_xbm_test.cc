#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

Image DecodeText(const std::string& text) {
  return DecodeImage(std::vector<uint8_t>(text.begin(), text.end()), "t.xbm");
}

std::string Refusal(const std::string& text) {
  return image::testing::DecodeRefusal(std::vector<uint8_t>(text.begin(), text.end()), "t.xbm");
}

TEST(DecodeXbmTest, LeastSignificantBitFirstAndSetBitsWhite) {
  const Image image = DecodeText("#define a_width 3\n#define a_height 2\nstatic char a_bits[] = {\n0x01, 0x06 };\n");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{255, 255, 255, 0, 0, 0, 0, 0, 0,  //
                                             0, 0, 0, 255, 255, 255, 255, 255, 255}));
}

TEST(DecodeXbmTest, HotspotAndNonHexDigits) {
  const Image image = DecodeText(
      "#define a_width 8\n#define a_height 1\n#define a_x_hot 1\n#define a_y_hot 2\nchar a_bits[] = { 0xZ1 };\n");
  EXPECT_EQ(image.rgb[0], 255);  // 'Z' counts 0: the byte is 0x01
  EXPECT_EQ(image.rgb[3], 0);
}

TEST(DecodeXbmTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(Refusal("#define a_width 8 \n#define a_height 1\nchar a_bits[] = { 0x01 };\n").find("t.xbm: not an XBM"),
            std::string::npos);
  EXPECT_NE(Refusal("#define a_width 16\n#define a_height 1\nchar a_bits[] = { 0x01 };\n").find("truncated XBM"),
            std::string::npos);
  EXPECT_NE(Refusal("#define a_width 99999\n#define a_height 99999\nchar a_bits[] = {};\n").find("bomb"),
            std::string::npos);
}

}  // namespace
}  // namespace vit
