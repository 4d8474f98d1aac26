#include <gtest/gtest.h>

#include <cstdint>
#include <tuple>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

using Bytes = std::vector<uint8_t>;

void Put16(Bytes& v, uint32_t x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}
void Put32(Bytes& v, uint32_t x) {
  Put16(v, x & 0xFFFF);
  Put16(v, x >> 16);
}

// A 40-byte info header and 24-bit rows (bottom-up) of a 2-pixel-wide picture, every pixel `value`.
Bytes Dib24(int width, int rows, int header_height, uint8_t value) {
  Bytes v;
  for (const uint32_t x : {40u, static_cast<uint32_t>(width), static_cast<uint32_t>(header_height)}) Put32(v, x);
  Put16(v, 1);
  Put16(v, 24);
  for (int i = 0; i < 6; ++i) Put32(v, 0);
  const size_t stride = (static_cast<size_t>(width) * 3 + 3) & ~size_t{3};
  v.resize(v.size() + stride * static_cast<size_t>(rows), value);
  return v;
}

// An icon directory of (width, height, bpp, payload) entries.
Bytes Icon(uint16_t kind, const std::vector<std::tuple<uint8_t, uint8_t, uint16_t, Bytes>>& entries) {
  Bytes v;
  Put16(v, 0);
  Put16(v, kind);
  Put16(v, static_cast<uint32_t>(entries.size()));
  size_t offset = 6 + 16 * entries.size();
  Bytes data;
  for (const auto& [w, h, bpp, payload] : entries) {
    v.insert(v.end(), {w, h, 0, 0});
    Put16(v, 1);
    Put16(v, bpp);
    Put32(v, static_cast<uint32_t>(payload.size()));
    Put32(v, static_cast<uint32_t>(offset + data.size()));
    data.insert(data.end(), payload.begin(), payload.end());
  }
  v.insert(v.end(), data.begin(), data.end());
  return v;
}

std::string Refusal(const Bytes& bytes) { return image::testing::DecodeRefusal(bytes, "t.ico"); }

TEST(DecodeIcoTest, LargestEntryWinsAndHalfTheRowsArePicture) {
  Bytes small = Dib24(1, 2, 2, 10);
  small.resize(small.size() + 8, 0);  // AND mask: one 4-byte row per picture row
  Bytes large = Dib24(2, 4, 4, 77);
  large.resize(large.size() + 8, 0);
  const Image image = DecodeImage(Icon(1, {{1, 1, 24, small}, {2, 2, 24, large}}), "t.ico");
  EXPECT_EQ(image.width, 2);
  EXPECT_EQ(image.height, 2);
  EXPECT_EQ(image.rgb, Bytes(12, 77));
}

TEST(DecodeIcoTest, CursorAndBareDib) {
  const Image cursor = DecodeImage(Icon(2, {{2, 2, 0, Dib24(2, 2, 4, 5)}}), "t.cur");
  EXPECT_EQ(cursor.height, 2);
  EXPECT_EQ(cursor.rgb, Bytes(12, 5));
  const Image dib = DecodeImage(Dib24(2, 2, 2, 9), "t.dib");
  EXPECT_EQ(dib.rgb, Bytes(12, 9));
}

TEST(DecodeIcoTest, MissingAndMaskIsRefusedNamingTheFile) {
  // The mask is the last bytes of the entry, wherever the entry says it ends: a file cut short of its
  // last row is refused (Pillow fails reading the mask), though every colour row is there. The last
  // row's padding may be missing: Pillow's raw decoder stops before it.
  Bytes entry = Dib24(2, 2, 4, 1);
  entry.resize(entry.size() + 8, 0);
  Bytes ico = Icon(1, {{2, 2, 24, entry}});
  EXPECT_EQ(Refusal(ico), "");
  ico.resize(ico.size() - 3);
  EXPECT_EQ(Refusal(ico), "");
  ico.pop_back();
  EXPECT_NE(Refusal(ico).find("t.ico: truncated ICO: the AND mask"), std::string::npos);
  // A 32-bit entry reads its alpha from the fourth byte of each of w*h 4-byte groups after the pixels.
  Bytes wide = Icon(1, {{2, 2, 32, Dib24(2, 2, 4, 1)}});
  EXPECT_EQ(Refusal(wide), "");
  wide.pop_back();
  EXPECT_NE(Refusal(wide).find("t.ico: truncated ICO"), std::string::npos);
}

}  // namespace
}  // namespace vit
