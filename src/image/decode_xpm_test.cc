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

std::string Refusal(const std::string& text) { return image::testing::DecodeRefusal(Bytes(text), "t.xpm"); }

TEST(DecodeXpmTest, PaletteFromHexColoursAndRowsPaddedWithSpaces) {
  // '.' is None (black: transparency only), 'x' keeps the low 24 bits of a 48-bit colour; the short
  // second row's line break is a pixel, as Pillow reads bytes 1..width of each line, and the rest is
  // padded with spaces (both indices no line defines: black).
  const std::string xpm =
      "/* XPM */\nstatic char *t[] = {\n\"3 2 3 1\",\n\". c None\",\n\"x c #FFFF00001234\",\n"
      "\"\" c #0A0B0C\",\n\"x.x\",\n\"x\n";
  const Image image = DecodeImage(Bytes(xpm), "t.xpm");
  ASSERT_EQ(image.width, 3);
  ASSERT_EQ(image.height, 2);
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{0, 0x12, 0x34, 0, 0, 0, 0, 0x12, 0x34,  //
                                             0, 0x12, 0x34, 0, 0, 0, 0, 0, 0}));
}

TEST(DecodeXpmTest, WhatPillowRefusesIsRefusedNamingTheFile) {
  const std::string head = "/* XPM */\n\"2 1 1 1\",\n";
  EXPECT_NE(Refusal(head + "\"a c red\",\n\"aa\"\n").find("t.xpm: XPM colour \"red\""), std::string::npos);
  EXPECT_NE(Refusal(head + "\"a c #12__34\",\n\"aa\"\n").find("is not read"), std::string::npos);
  EXPECT_NE(Refusal(head + "\"a m #123456\",\n\"aa\"\n").find("no \"c\" colour key"), std::string::npos);
  EXPECT_NE(Refusal("/* XPM */\n\"2 1 1 2\",\n").find("2 characters per pixel"), std::string::npos);
  EXPECT_NE(Refusal("/* XPM */\nno header\n").find("broken XPM file"), std::string::npos);
  EXPECT_EQ(Refusal(head + "\"a c #0x_1_2\",\n\"aa\"\n"), "");  // Python's int() takes these
}

}  // namespace
}  // namespace vit
