#include "image/pil_convert.h"

#include <gtest/gtest.h>

#include <vector>

namespace vit::image {
namespace {

std::vector<uint8_t> Cmyk(std::vector<uint8_t> cmyk) {
  std::vector<uint8_t> rgb(cmyk.size() / 4 * 3);
  CmykRowToRgb(cmyk.data(), cmyk.size() / 4, rgb.data());
  return rgb;
}

TEST(PilConvertTest, CmykCornersAndPillowsRounding) {
  EXPECT_EQ(Cmyk({0, 0, 0, 0}), (std::vector<uint8_t>{255, 255, 255}));
  EXPECT_EQ(Cmyk({0, 0, 0, 255}), (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(Cmyk({255, 0, 0, 0}), (std::vector<uint8_t>{0, 255, 255}));
  // k = 100: nk = 155; c = 128: 155 - MULDIV255(128, 155) = 155 - 78 = 77 (128 * 155 / 255 = 77.8).
  EXPECT_EQ(Cmyk({128, 0, 255, 100}), (std::vector<uint8_t>{77, 155, 0}));
}

// Pillow 9.4: Image.new("YCbCr", ...) with these pixels, .convert("RGB"). The whole 2^24 range was
// compared once against Pillow; tests/make_rare1_corpus.py's im_ycc_sweep.im keeps a sweep of it in the
// parity test.
TEST(PilConvertTest, YcbcrAsPillowsFixedPoint) {
  const uint8_t ycbcr[] = {0, 0, 0, 255, 255, 255, 128, 128, 128, 100, 50, 200, 30, 200, 10, 128, 0, 255, 77, 129, 127};
  const uint8_t pillow[] = {0, 135, 0, 255, 120, 255, 128, 128, 128, 200, 75, 0, 0, 89, 157, 255, 81, 0, 75, 77, 78};
  uint8_t rgb[sizeof(pillow)];
  YcbcrRowToRgb(ycbcr, sizeof(ycbcr) / 3, rgb);
  for (size_t i = 0; i < sizeof(pillow); ++i) EXPECT_EQ(rgb[i], pillow[i]) << "byte " << i;
}

TEST(PilConvertTest, InvertedCmykIsCmykOfTheComplement) {
  const std::vector<uint8_t> inverted = {255 - 128, 255 - 0, 255 - 255, 255 - 100};
  std::vector<uint8_t> rgb(3);
  InvertedCmykRowToRgb(inverted.data(), 1, rgb.data());
  EXPECT_EQ(rgb, Cmyk({128, 0, 255, 100}));
}

TEST(PilConvertTest, PaletteDefaultsToPillowsGreyRamp) {
  Palette palette;
  palette.Set(1, 10, 20, 30);
  const std::vector<uint8_t> idx = {0, 1, 2, 255};
  std::vector<uint8_t> rgb(12);
  PaletteRowToRgb(idx.data(), idx.size(), palette, rgb.data());
  EXPECT_EQ(rgb, (std::vector<uint8_t>{0, 0, 0, 10, 20, 30, 2, 2, 2, 255, 255, 255}));
}

TEST(PilConvertTest, SixteenBitConversions) {
  const std::vector<uint8_t> be = {0x00, 0x7F, 0x01, 0x00, 0xAB, 0xCD};
  std::vector<uint8_t> rgb(9);
  Gray16BigEndianRowToRgb(be.data(), 3, rgb.data());
  EXPECT_EQ(rgb, (std::vector<uint8_t>{0x7F, 0x7F, 0x7F, 255, 255, 255, 255, 255, 255}));
  std::vector<uint8_t> one(3);
  Samples16BigEndianRowToRgb(be.data(), 1, 3, one.data());
  EXPECT_EQ(one, (std::vector<uint8_t>{0x00, 0x01, 0xAB}));
  Samples16BigEndianRowToRgb(be.data() + 2, 1, 2, one.data());
  EXPECT_EQ(one, (std::vector<uint8_t>{0x01, 0x01, 0x01}));
}

TEST(PilConvertTest, AlphaIsDropped) {
  const std::vector<uint8_t> rgba = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<uint8_t> rgb(6);
  RgbaRowToRgb(rgba.data(), 2, rgb.data());
  EXPECT_EQ(rgb, (std::vector<uint8_t>{1, 2, 3, 5, 6, 7}));
  const std::vector<uint8_t> la = {9, 0, 200, 1};
  GrayAlphaRowToRgb(la.data(), 2, rgb.data());
  EXPECT_EQ(rgb, (std::vector<uint8_t>{9, 9, 9, 200, 200, 200}));
}

}  // namespace
}  // namespace vit::image
