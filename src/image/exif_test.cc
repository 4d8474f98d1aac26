#include "image/exif.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace vit::image {
namespace {

// A TIFF-structured EXIF block with one IFD0 entry.
std::vector<uint8_t> Block(bool big_endian, uint16_t tag, uint16_t type, uint32_t count, uint32_t value,
                           bool with_prefix = true) {
  std::vector<uint8_t> v;
  if (with_prefix) v = {'E', 'x', 'i', 'f', 0, 0};
  auto u16 = [&](uint32_t x) {
    if (big_endian) {
      v.push_back(static_cast<uint8_t>(x >> 8));
      v.push_back(static_cast<uint8_t>(x));
    } else {
      v.push_back(static_cast<uint8_t>(x));
      v.push_back(static_cast<uint8_t>(x >> 8));
    }
  };
  auto u32 = [&](uint32_t x) {
    if (big_endian) {
      u16(x >> 16);
      u16(x & 0xFFFF);
    } else {
      u16(x & 0xFFFF);
      u16(x >> 16);
    }
  };
  v.push_back(big_endian ? 'M' : 'I');
  v.push_back(big_endian ? 'M' : 'I');
  u16(42);
  u32(8);
  u16(1);
  u16(tag);
  u16(type);
  u32(count);
  if (type == 3 && count == 1) {
    u16(value);
    u16(0);
  } else {
    u32(value);
  }
  u32(0);
  return v;
}

TEST(ExifTest, ReadsOrientationInBothByteOrders) {
  EXPECT_EQ(ExifOrientation(Block(false, 0x0112, 3, 1, 6)), 6);
  EXPECT_EQ(ExifOrientation(Block(true, 0x0112, 3, 1, 8)), 8);
  EXPECT_EQ(ExifOrientation(Block(true, 0x0112, 3, 1, 3, false)), 3);  // bare TIFF, as in TIFF files
  EXPECT_EQ(ExifOrientation(Block(false, 0x0112, 4, 1, 5)), 5);         // LONG works too
}

TEST(ExifTest, NoOrientationMeansOne) {
  EXPECT_EQ(ExifOrientation({}), 1);
  EXPECT_EQ(ExifOrientation(Block(false, 0x0110, 3, 1, 6)), 1);  // another tag
  EXPECT_EQ(ExifOrientation(Block(false, 0x0112, 3, 1, 0)), 1);  // out of 1..8
  EXPECT_EQ(ExifOrientation(Block(false, 0x0112, 3, 1, 9)), 1);
  EXPECT_EQ(ExifOrientation(Block(false, 0x0112, 2, 1, 6)), 1);  // ASCII is no number
}

TEST(ExifTest, MalformedBlocksAreSafe) {
  auto good = Block(false, 0x0112, 3, 1, 6);
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    const int o = ExifOrientation(cut);
    EXPECT_TRUE(o == 1 || o == 6) << n;
  }
  auto far_ifd = good;
  far_ifd[6 + 4] = 0xFF;  // IFD0 offset far outside
  EXPECT_EQ(ExifOrientation(far_ifd), 1);
  auto not_tiff = good;
  not_tiff[6] = 'X';
  EXPECT_EQ(ExifOrientation(not_tiff), 1);
  // Values stored out of line that point past the end.
  EXPECT_EQ(ExifOrientation(Block(false, 0x0112, 3, 4, 0xFFFF)), 1);
}

// Little-endian IFD0 entries (tag, type, count, 4 value bytes), values of 4 bytes or fewer only.
std::vector<uint8_t> Entries(const std::vector<std::array<uint32_t, 4>>& entries) {
  std::vector<uint8_t> v = {'I', 'I', 42, 0, 8, 0, 0, 0, static_cast<uint8_t>(entries.size()), 0};
  for (const auto& e : entries) {
    for (int i = 0; i < 2; ++i) v.push_back(static_cast<uint8_t>(e[0] >> (8 * i)));
    for (int i = 0; i < 2; ++i) v.push_back(static_cast<uint8_t>(e[1] >> (8 * i)));
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(e[2] >> (8 * i)));
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(e[3] >> (8 * i)));
  }
  v.insert(v.end(), 4, 0);
  return v;
}

TEST(ExifTest, JpegDpiLookupRaisesOnXResolutionsPythonCannotIndexTwice) {
  const std::array<uint32_t, 4> unit = {0x0128, 3, 1, 2};
  // One BYTE or UNDEFINED byte; ASCII "7", "7\0", "\0".
  EXPECT_TRUE(PillowJpegDpiRaises(Entries({unit, {0x011A, 1, 1, 0x48}})));
  EXPECT_TRUE(PillowJpegDpiRaises(Entries({unit, {0x011A, 7, 1, 0x48}})));
  EXPECT_TRUE(PillowJpegDpiRaises(Entries({unit, {0x011A, 2, 1, '7'}})));
  EXPECT_TRUE(PillowJpegDpiRaises(Entries({unit, {0x011A, 2, 2, '7'}})));
  EXPECT_TRUE(PillowJpegDpiRaises(Entries({unit, {0x011A, 2, 1, 0}})));
  // Two bytes, a letter, two digits, a number: caught or fine.
  EXPECT_FALSE(PillowJpegDpiRaises(Entries({unit, {0x011A, 1, 2, 0x0148}})));
  EXPECT_FALSE(PillowJpegDpiRaises(Entries({unit, {0x011A, 2, 2, 'a'}})));
  EXPECT_FALSE(PillowJpegDpiRaises(Entries({unit, {0x011A, 2, 3, '7' | ('2' << 8)}})));
  EXPECT_FALSE(PillowJpegDpiRaises(Entries({unit, {0x011A, 3, 1, 72}})));
  // No ResolutionUnit (KeyError), an empty tag (skipped), the last of a repeated tag.
  EXPECT_FALSE(PillowJpegDpiRaises(Entries({{0x011A, 1, 1, 0x48}})));
  EXPECT_FALSE(PillowJpegDpiRaises(Entries({unit, {0x011A, 1, 0, 0}})));
  EXPECT_FALSE(PillowJpegDpiRaises(Entries({unit, {0x011A, 1, 1, 0x48}, {0x011A, 3, 1, 72}})));
  EXPECT_TRUE(PillowJpegDpiRaises(Entries({unit, {0x011A, 3, 1, 72}, {0x011A, 1, 1, 0x48}})));
  // A value Pillow cannot read stops the walk: what came after it is not seen.
  EXPECT_FALSE(PillowJpegDpiRaises(Entries({unit, {0x9000, 4, 5, 0xFFFF}, {0x011A, 1, 1, 0x48}})));
}

TEST(ExifTest, XmpFallback) {
  EXPECT_EQ(XmpOrientation(R"(<rdf:Description tiff:Orientation="6"/>)"), 6);
  EXPECT_EQ(XmpOrientation("<tiff:Orientation>3</tiff:Orientation>"), 3);
  EXPECT_EQ(XmpOrientation("tiff:Orientation=6 tiff:Orientation=\"8\""), 8);  // first that matches the pattern
  EXPECT_EQ(XmpOrientation("nothing here"), 1);
}

// A 3x2 picture whose pixel (r, c) holds (r, c, 0).
Image Labelled() {
  Image img;
  img.width = 3;
  img.height = 2;
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 3; ++c) img.rgb.insert(img.rgb.end(), {static_cast<uint8_t>(r), static_cast<uint8_t>(c), 0});
  }
  return img;
}

// (row, column) of the source pixel at each output position, row-major.
std::vector<std::pair<int, int>> Sources(const Image& img) {
  std::vector<std::pair<int, int>> out;
  for (size_t i = 0; i < img.rgb.size(); i += 3) out.emplace_back(img.rgb[i], img.rgb[i + 1]);
  return out;
}

TEST(ExifTest, OrientationsFollowPillowsTransposeMethods) {
  using P = std::vector<std::pair<int, int>>;
  // Source:  (0,0) (0,1) (0,2)
  //          (1,0) (1,1) (1,2)
  EXPECT_EQ(Sources(ApplyOrientation(Labelled(), 1)), (P{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}}));
  EXPECT_EQ(Sources(ApplyOrientation(Labelled(), 2)), (P{{0, 2}, {0, 1}, {0, 0}, {1, 2}, {1, 1}, {1, 0}}));
  EXPECT_EQ(Sources(ApplyOrientation(Labelled(), 3)), (P{{1, 2}, {1, 1}, {1, 0}, {0, 2}, {0, 1}, {0, 0}}));
  EXPECT_EQ(Sources(ApplyOrientation(Labelled(), 4)), (P{{1, 0}, {1, 1}, {1, 2}, {0, 0}, {0, 1}, {0, 2}}));
  // 5..8 swap width and height: 2 wide, 3 high.
  const Image transposed = ApplyOrientation(Labelled(), 5);
  EXPECT_EQ(transposed.width, 2);
  EXPECT_EQ(transposed.height, 3);
  EXPECT_EQ(Sources(transposed), (P{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}, {1, 2}}));
  // ROTATE_270 (clockwise): the left column, bottom to top, becomes the top row.
  EXPECT_EQ(Sources(ApplyOrientation(Labelled(), 6)), (P{{1, 0}, {0, 0}, {1, 1}, {0, 1}, {1, 2}, {0, 2}}));
  EXPECT_EQ(Sources(ApplyOrientation(Labelled(), 7)), (P{{1, 2}, {0, 2}, {1, 1}, {0, 1}, {1, 0}, {0, 0}}));
  // ROTATE_90 (counter-clockwise): the right column, top to bottom, becomes the top row.
  EXPECT_EQ(Sources(ApplyOrientation(Labelled(), 8)), (P{{0, 2}, {1, 2}, {0, 1}, {1, 1}, {0, 0}, {1, 0}}));
}

}  // namespace
}  // namespace vit::image
