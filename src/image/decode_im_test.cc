#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::string Refusal(const std::string& s) { return image::testing::DecodeRefusal(Bytes(s), "t.im"); }

TEST(DecodeImTest, RowsBottomUpAndBandsRowByRow) {
  // 2x2 "RGB;L": each row is its red, green, then blue samples; the file's first row is the bottom one.
  const std::string header = "Image type: RGB image\r\nImage size (x*y): 2*2\r\n\x1a";
  const std::string data = {1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16};
  const Image image = DecodeImage(Bytes(header + data), "t.im");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{11, 13, 15, 12, 14, 16, 1, 3, 5, 2, 4, 6}));
}

TEST(DecodeImTest, AColourLutMakesAPaletteImageOfEightBitPixels) {
  // "B2" holds 2-bit pixels, but with a colour Lut Pillow reads 8 bits a pixel through the palette.
  std::string lut(768, 0);
  for (int i = 0; i < 256; ++i) {
    lut[i] = static_cast<char>(i);
    lut[256 + i] = static_cast<char>(255 - i);
    lut[512 + i] = 7;
  }
  const std::string file = "Image type: B2 image\nImage size (x*y): 2*1\nLut: 1\n\x1a" + lut + std::string{9, 100};
  const Image image = DecodeImage(Bytes(file), "t.im");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{9, 246, 7, 100, 155, 7}));
}

TEST(DecodeImTest, BitPackedRowsKeepTheLastRowsLeftoverBits) {
  // "L*4": 4-bit samples from the low bits up; the bottom row's leftover high nibble (4) is OR'ed into
  // the top row's first byte, as Pillow's BitDecode.c does.
  const std::string file = "Image type: L*4 image\nImage size (x*y): 3*2\n\x1a" + std::string{0x21, 0x43, 0x10, 0x00};
  const Image image = DecodeImage(Bytes(file), "t.im");
  std::vector<uint8_t> grey;
  for (size_t i = 0; i < image.rgb.size(); i += 3) grey.push_back(image.rgb[i]);
  EXPECT_EQ(grey, (std::vector<uint8_t>{4, 1, 0, 1, 2, 3}));
}

TEST(DecodeImTest, WhatPillowRefusesIsRefusedNamingTheFile) {
  EXPECT_NE(Refusal("Image type: L image\nImage size (x*y): two*2\n\x1a").find("t.im: IM header value \"two*2\""),
            std::string::npos);
  EXPECT_NE(Refusal("Image type: Sepia image\nImage size (x*y): 1*1\n\x1a\x01").find("\"Sepia image\""),
            std::string::npos);
  EXPECT_NE(Refusal("Image type: RGB image\nImage size (x*y): 2*2\n\x1a\x01").find("truncated IM"),
            std::string::npos);
  // Not IM to Pillow (no key it knows, no 0x1A after the header): no format matches.
  EXPECT_NE(Refusal("Colour: red\n\x1a\x01").find("not an image"), std::string::npos);
  EXPECT_NE(Refusal("Image type: L image\n").find("not an image"), std::string::npos);
}

}  // namespace
}  // namespace vit
