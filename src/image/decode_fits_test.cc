#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/image.h"

namespace vit {
namespace {

using image::testing::DecodeRefusal;

// FITS cards (each padded to 80 bytes), END, padding to 2880, then `data`.
std::vector<uint8_t> Fits(const std::vector<std::string>& cards, const std::vector<uint8_t>& data) {
  std::string text;
  for (const std::string& card : cards) text += card + std::string(80 - card.size(), ' ');
  text += "END" + std::string(77, ' ');
  text.resize(2880, ' ');
  text.append(data.begin(), data.end());
  return std::vector<uint8_t>(text.begin(), text.end());
}

TEST(DecodeFitsTest, GreyRowsBottomFirst) {
  const auto fits = Fits({"SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 2", "NAXIS1  = 1", "NAXIS2  = 2"}, {10, 20});
  EXPECT_EQ(DecodeImage(fits, "t.fits").rgb, (std::vector<uint8_t>{20, 20, 20, 10, 10, 10}));
}

TEST(DecodeFitsTest, SixteenBitDataIsReadAsLittleEndianInt32) {
  const auto fits = Fits({"SIMPLE  = T", "BITPIX  = 16", "NAXIS   = 1", "NAXIS1  = 1"}, {7, 0, 0, 0});
  EXPECT_EQ(DecodeImage(fits, "t.fits").rgb, (std::vector<uint8_t>{7, 7, 7}));
}

TEST(DecodeFitsTest, BadFilesAreRefusedNamingTheFile) {
  const auto cut = Fits({"SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 2", "NAXIS1  = 2", "NAXIS2  = 2"}, {1, 2, 3});
  EXPECT_NE(DecodeRefusal(cut, "t.fits").find("t.fits: truncated FITS"), std::string::npos);
  const auto none = Fits({"SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 0"}, {});
  EXPECT_NE(DecodeRefusal(none, "t.fits").find("NAXIS = 0"), std::string::npos);
}

}  // namespace
}  // namespace vit
