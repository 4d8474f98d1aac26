#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

void Put16(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
void Put32(std::vector<uint8_t>& v, uint32_t x) {
  Put16(v, x >> 16);
  Put16(v, x & 0xFFFF);
}

// A PSD header for a width x height image, empty colour data, resources and layers, then the
// compression field and `data`.
std::vector<uint8_t> Psd(uint32_t width, uint32_t height, uint32_t mode, uint32_t channels, uint32_t compression,
                         const std::vector<uint8_t>& data, uint32_t bits = 8) {
  std::vector<uint8_t> v = {'8', 'B', 'P', 'S', 0, 1, 0, 0, 0, 0, 0, 0};
  Put16(v, channels);
  Put32(v, height);
  Put32(v, width);
  Put16(v, bits);
  Put16(v, mode);
  for (int i = 0; i < 3; ++i) Put32(v, 0);
  Put16(v, compression);
  v.insert(v.end(), data.begin(), data.end());
  return v;
}

TEST(DecodePsdTest, RawPlanesAndInvertedCmyk) {
  // RGB: one plane per channel.
  Image image = DecodeImage(Psd(2, 1, 3, 3, 0, {1, 2, 3, 4, 5, 6}), "t.psd");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{1, 3, 5, 2, 4, 6}));
  // CMYK is stored inverted: 255 everywhere is no ink, white.
  image = DecodeImage(Psd(1, 1, 4, 4, 0, {255, 255, 255, 255}), "t.psd");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{255, 255, 255}));
}

TEST(DecodePsdTest, LabPlanesAreStoredOffsetAndConvertedThroughLittleCms) {
  // L 255, 0, 128 with a = b = 128 (no colour): near white, near black, a grey between, each neutral.
  const Image image = DecodeImage(Psd(3, 1, 9, 3, 0, {255, 0, 128, 128, 128, 128, 128, 128, 128}), "t.psd");
  ASSERT_EQ(image.rgb.size(), 9u);
  for (int x = 0; x < 3; ++x) {
    const int r = image.rgb[3 * x], g = image.rgb[3 * x + 1], b = image.rgb[3 * x + 2];
    EXPECT_LE(std::abs(r - g) + std::abs(g - b), 2) << "pixel " << x;
  }
  EXPECT_GE(image.rgb[0], 250);
  EXPECT_LE(image.rgb[3], 5);
  EXPECT_GT(image.rgb[6], 100);
  EXPECT_LT(image.rgb[6], 140);
  // a = 255: far towards red.
  const Image red = DecodeImage(Psd(1, 1, 9, 3, 0, {128, 255, 128}), "t.psd");
  EXPECT_GT(red.rgb[0], red.rgb[1] + 100);
}

TEST(DecodePsdTest, PackBitsDropsWhatPassesTheRowEnd) {
  // Row lengths 2 and 5; a run of 5 into a 4-byte row, then a literal of 6 into the next.
  const std::vector<uint8_t> data = {0, 2, 0, 5, 256 - 4, 9, 5, 1, 2, 3, 4, 5, 6};
  const Image image = DecodeImage(Psd(4, 2, 1, 1, 1, data), "t.psd");
  const std::vector<uint8_t> grey = {9, 9, 9, 9, 1, 2, 3, 4};
  for (size_t i = 0; i < grey.size(); ++i) EXPECT_EQ(image.rgb[3 * i], grey[i]) << i;
}

TEST(DecodePsdTest, BadFilesAreRefusedNamingTheFile) {
  auto refused = [](const std::vector<uint8_t>& bytes, const std::string& expect) {
    try {
      DecodeImage(bytes, "t.psd");
      ADD_FAILURE() << "decoded a file that must be refused: " << expect;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("t.psd: "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
    }
  };
  refused(Psd(2, 2, 3, 3, 0, {1, 2, 3}), "truncated PSD");
  refused(Psd(2, 2, 3, 3, 0, std::vector<uint8_t>(24, 0), 16), "at 16 bits");
  refused(Psd(2, 2, 3, 2, 0, std::vector<uint8_t>(8, 0)), "needs 3");
  refused(Psd(2, 2, 3, 3, 2, std::vector<uint8_t>(64, 0)), "compression 2");
  // The size is checked from the header, before any pixel is read or allocated.
  refused(Psd(70000, 70000, 1, 1, 0, {0}), "decompression-bomb");
}

}  // namespace
}  // namespace vit
