// MSP (Microsoft Paint 1.x and 2.x) by hand, following Pillow 9.4's MspImagePlugin.
//
// A 32-byte little-endian header whose 16 words XOR to zero, then 1-bit rows, a set bit white. Version
// 1 ("DanM") stores the rows raw. Version 2 ("LinS") has a map of each row's length, then rows of runs:
// 0, n, v is n copies of v; any other n is n literal bytes (cut short, silently, at the row's end). An
// empty row is white. Pillow joins what all the rows expand to and reads the picture from that, so a
// row that expands to more or fewer bytes than a row holds shifts the rows after it; every row is
// checked, even once the picture is whole, and less data than the picture needs is refused.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

uint32_t U16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }

// Bytes appended one run at a time, kept up to the picture's size.
class Expanded {
 public:
  explicit Expanded(size_t size) : data_(size) {}
  void Fill(uint8_t v, size_t n) {
    const size_t k = std::min(n, data_.size() - used_);
    std::memset(data_.data() + used_, v, k);
    used_ += k;
  }
  void Copy(const uint8_t* p, size_t n) {
    const size_t k = std::min(n, data_.size() - used_);
    std::memcpy(data_.data() + used_, p, k);
    used_ += k;
  }
  bool full() const { return used_ == data_.size(); }
  const uint8_t* data() const { return data_.data(); }

 private:
  std::vector<uint8_t> data_;
  size_t used_ = 0;
};

}  // namespace

Decoded DecodeMsp(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (bytes.size() < 32) ctx.Fail("MSP file shorter than its 32-byte header");
  const uint8_t* s = bytes.data();
  uint32_t checksum = 0;
  for (int i = 0; i < 32; i += 2) checksum ^= U16(s + i);
  if (checksum != 0) ctx.Fail("bad MSP checksum: the header's words do not XOR to zero");
  const int64_t width = U16(s + 4), height = U16(s + 6);
  ctx.CheckSize(width, height);
  const auto w = static_cast<size_t>(width);
  const auto h = static_cast<size_t>(height);
  const size_t row_bytes = (w + 7) / 8;
  const bool v1 = s[0] == 'D';

  const uint8_t* rows = nullptr;
  Expanded expanded(v1 ? 0 : row_bytes * h);
  if (v1) {
    if ((bytes.size() - 32) / row_bytes < h) ctx.Fail("truncated MSP: the file ends before the last row");
    rows = s + 32;
  } else {
    if ((bytes.size() - 32) / 2 < h) ctx.Fail("truncated MSP file in its row map");
    size_t at = 32 + 2 * h;
    for (size_t y = 0; y < h; ++y) {
      const size_t length = U16(s + 32 + 2 * y);
      if (length == 0) {
        expanded.Fill(0xFF, row_bytes);
        continue;
      }
      if (bytes.size() - at < length) {
        ctx.Fail("truncated MSP file: row " + std::to_string(y) + " needs " + std::to_string(length) + " bytes");
      }
      const uint8_t* row = s + at;
      at += length;
      for (size_t i = 0; i < length;) {
        const size_t count = row[i++];
        if (count == 0) {
          if (length - i < 2) ctx.Fail("corrupted MSP file in row " + std::to_string(y) + ": a run is cut short");
          expanded.Fill(row[i + 1], row[i]);
          i += 2;
        } else {
          expanded.Copy(row + i, std::min(count, length - i));
          i += count;
        }
      }
    }
    if (!expanded.full()) ctx.Fail("MSP rows expand to less data than the picture needs (Pillow: not enough image data)");
    rows = expanded.data();
  }

  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  std::vector<uint8_t> grey(w);
  for (size_t y = 0; y < h; ++y) {
    const uint8_t* row = rows + y * row_bytes;
    for (size_t x = 0; x < w; ++x) grey[x] = ((row[x >> 3] >> (7 - (x & 7))) & 1) != 0 ? 255 : 0;
    GrayRowToRgb(grey.data(), w, decoded.image.rgb.data() + y * w * 3);
  }
  return decoded;
}

}  // namespace vit::image
