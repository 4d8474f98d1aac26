#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

// A 512-byte SGI header for a grey width x height picture, then `data`.
std::vector<uint8_t> Sgi(int width, int height, uint8_t compression, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> v(512 + data.size(), 0);
  v[0] = 0x01;
  v[1] = 0xDA;
  v[2] = compression;
  v[3] = 1;  // bytes per sample
  v[5] = 2;  // dimension
  v[7] = static_cast<uint8_t>(width);
  v[9] = static_cast<uint8_t>(height);
  v[11] = 1;  // channels
  std::copy(data.begin(), data.end(), v.begin() + 512);
  return v;
}

TEST(DecodeSgiTest, RawRowsAreBottomUp) {
  const Image image = DecodeImage(Sgi(1, 2, 0, {10, 20}), "t.sgi");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{20, 20, 20, 10, 10, 10}));
}

TEST(DecodeSgiTest, RleShortRowKeepsThePreviousRowsSamples) {
  // Offsets 528 and 532, lengths 4 and 3: the second row sets only its first sample.
  const std::vector<uint8_t> tables = {0, 0, 2, 16, 0, 0, 2, 20, 0, 0, 0, 4, 0, 0, 0, 3};
  std::vector<uint8_t> data = tables;
  data.insert(data.end(), {0x82, 5, 6, 0, 0x81, 9, 0});
  const Image image = DecodeImage(Sgi(2, 2, 1, data), "t.sgi");
  EXPECT_EQ(image.rgb, (std::vector<uint8_t>{9, 9, 9, 6, 6, 6, 5, 5, 5, 6, 6, 6}));
}

TEST(DecodeSgiTest, BadFilesAreRefusedNamingTheFile) {
  try {
    DecodeImage(Sgi(4, 4, 0, {1, 2, 3}), "t.sgi");
    FAIL() << "decoded a truncated file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.sgi: truncated SGI"), std::string::npos) << e.what();
  }
  try {
    DecodeImage(Sgi(4, 200, 1, {0, 0, 0}), "t.sgi");
    FAIL() << "decoded RLE tables past the end";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("RLE row tables"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vit
