#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

Image DecodeText(const std::string& text) {
  return DecodeImage(std::vector<uint8_t>(text.begin(), text.end()), "t.pnm");
}

std::string Refusal(const std::string& text) {
  return image::testing::DecodeRefusal(std::vector<uint8_t>(text.begin(), text.end()), "t.pnm");
}

TEST(DecodePnmTest, BinaryGreyScaledFromMaxval) {
  // round(v / 15 * 255) with ties to even; a sample over maxval clamps.
  const Image image = DecodeText(std::string("P5 3 1 15\n") + '\x01' + '\x0f' + '\x14');
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{17, 17, 17, 255, 255, 255, 255, 255, 255}));
}

TEST(DecodePnmTest, SixteenBitGreyClipsAt255) {
  const Image image = DecodeText(std::string("P5 2 1 65535\n") + '\x00' + '\x07' + '\x01' + '\x00');
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{7, 7, 7, 255, 255, 255}));
}

TEST(DecodePnmTest, PlainBitmapWithoutSeparators) {
  const Image image = DecodeText("P1 3 1\n# comment\n010");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{255, 255, 255, 0, 0, 0, 255, 255, 255}));
}

TEST(DecodePnmTest, PlainLastTokenWithoutNewlineFillsThePicture) {
  const Image image = DecodeText("P2 2 2 255\n1 2 3");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3}));
}

TEST(DecodePnmTest, HeldTokenFillsTheRestOfALargePicture) {
  // Pillow repeats the held token for every sample left (3 million here); the decoder fills them at
  // once. tests/fuzz/corpus/image/good_pnm_p2_held_token_20m_samples.pgm bounds the time it takes.
  const Image image = DecodeText("P2\n3000 1000\n255\n1 2 3 4 5 6 7 8 9");
  ASSERT_EQ(image.rgb.size(), size_t{3000} * 1000 * 3);
  EXPECT_EQ(image.rgb[23], 8);
  EXPECT_EQ(image.rgb[24], 9);
  EXPECT_EQ(image.rgb.back(), 9);
}

TEST(DecodePnmTest, CommentInsideDataJoinsDigits) {
  const Image image = DecodeText("P2 2 1 255\n1#x\n2 5\n");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{12, 12, 12, 5, 5, 5}));
}

TEST(DecodePnmTest, BadFilesAreRefusedNamingTheFile) {
  EXPECT_NE(Refusal("P6 2 2 255\nabc").find("t.pnm: truncated PNM"), std::string::npos);
  EXPECT_NE(Refusal("P2 2 1 9\n1 10\n").find("over maxval"), std::string::npos);
  EXPECT_NE(Refusal("P2 3 1 255\n1 2\n").find("truncated PNM"), std::string::npos);
  EXPECT_NE(Refusal("P1 2 1\n0 2\n").find("other than 0 or 1"), std::string::npos);
  EXPECT_NE(Refusal("P5 2 1 0\n\1\2").find("maxval"), std::string::npos);
  EXPECT_NE(Refusal("P6 30000 30000 255\n").find("decompression-bomb"), std::string::npos);
  EXPECT_NE(Refusal("P7\nWIDTH 1\n").find("PAM images are not supported"), std::string::npos);
}

}  // namespace
}  // namespace vit
