#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

void Put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  for (int i = 0; i < 4; ++i) v[at + static_cast<size_t>(i)] = static_cast<uint8_t>(x >> (8 * i));
}

// "DDS ", a 124-byte header for a width x height surface with the given pixel format, then `data`.
std::vector<uint8_t> Dds(uint32_t width, uint32_t height, uint32_t pf_flags, const char* fourcc,
                         const std::vector<uint8_t>& data, std::vector<uint32_t> masks = {0, 0, 0, 0}) {
  std::vector<uint8_t> v(128 + data.size(), 0);
  std::memcpy(v.data(), "DDS ", 4);
  Put32(v, 4, 124);
  Put32(v, 12, height);
  Put32(v, 16, width);
  Put32(v, 76, 32);
  Put32(v, 80, pf_flags);
  std::memcpy(v.data() + 84, fourcc, 4);
  for (size_t i = 0; i < 4; ++i) Put32(v, 92 + 4 * i, masks[i]);
  std::copy(data.begin(), data.end(), v.begin() + 128);
  return v;
}

TEST(DecodeDdsTest, Dxt1ThirdsTruncateAndTheThreeColourBlockHasBlack) {
  // c0 = pure red 0xF800, c1 = pure blue 0x001F: 2/3 and 1/3 mixes truncate to 170 and 85.
  std::vector<uint8_t> four = {0x00, 0xF8, 0x1F, 0x00, 0b11100100, 0, 0, 0};
  Image image = DecodeImage(Dds(4, 1, 4, "DXT1", four), "t.dds");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{255, 0, 0, 0, 0, 255, 170, 0, 85, 85, 0, 170}));
  // c0 <= c1: index 2 is the truncated half, index 3 transparent black (black once alpha is dropped).
  std::vector<uint8_t> three = {0x1F, 0x00, 0x00, 0xF8, 0b11100100, 0, 0, 0};
  image = DecodeImage(Dds(4, 1, 4, "DXT1", three), "t.dds");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{0, 0, 255, 255, 0, 0, 127, 0, 127, 0, 0, 0}));
}

TEST(DecodeDdsTest, UncompressedChannelsFollowTheMasks) {
  // Masks R=0xFF, G=0xFF00, B=0xFF0000: Pillow's raw mode "RGB", three bytes a pixel.
  const Image image = DecodeImage(Dds(2, 1, 0x40, "\0\0\0\0", {1, 2, 3, 4, 5, 6}, {0xFF, 0xFF00, 0xFF0000, 0}),
                                  "t.dds");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(DecodeDdsTest, BadFilesAreRefusedNamingTheFile) {
  auto refused = [](const std::vector<uint8_t>& bytes, const std::string& expect) {
    try {
      DecodeImage(bytes, "t.dds");
      ADD_FAILURE() << "decoded a file that must be refused: " << expect;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("t.dds: "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
    }
  };
  refused(Dds(8, 8, 4, "DXT1", std::vector<uint8_t>(31, 0)), "truncated DDS");
  refused(Dds(4, 4, 4, "DXT2", std::vector<uint8_t>(16, 0)), "'DXT2'");
  refused(Dds(4, 4, 0x40, "\0\0\0\0", std::vector<uint8_t>(32, 0), {0x7C00, 0x3E0, 0x1F, 0}), "bit masks");
  // The size is checked from the header, before any block is read or allocated.
  refused(Dds(70000, 70000, 4, "DXT1", std::vector<uint8_t>(8, 0)), "decompression-bomb");
}

}  // namespace
}  // namespace vit
