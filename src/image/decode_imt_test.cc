#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/image.h"

namespace vit {
namespace {

using image::testing::DecodeRefusal;

std::vector<uint8_t> Imt(const std::string& header, const std::vector<uint8_t>& pixels) {
  std::vector<uint8_t> v(header.begin(), header.end());
  v.push_back(0x0C);
  v.insert(v.end(), pixels.begin(), pixels.end());
  return v;
}

TEST(DecodeImtTest, GreyAfterTheFormFeed) {
  const Image image = DecodeImage(Imt("* comment\nwidth 2\nheight 1\npixel n8\n", {3, 200}), "t.imt");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{3, 3, 3, 200, 200, 200}));
}

TEST(DecodeImtTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(DecodeRefusal(Imt("width 2\nheight 2\npixel n8\n", {1}), "t.imt").find("t.imt: truncated IM Tools"),
            std::string::npos);
  EXPECT_NE(DecodeRefusal(Imt("width two\nheight 2\npixel n8\n", {1}), "t.imt").find("width is not an integer"),
            std::string::npos);
}

}  // namespace
}  // namespace vit
