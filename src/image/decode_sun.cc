// Sun raster by hand, following Pillow 9.4's SunImagePlugin and SunRleDecode.c.
//
// A 32-byte big-endian header; 1-bit (a set bit black), 4- and 8-bit grey, 24- and 32-bit colour in
// BGR(X) order, or RGB(X) for type 3. A colour map (three planes: all reds, then greens, then blues;
// type 1 only, at most 1024 bytes, whole entries only) makes 4- and 8-bit files palette images; on
// the others Pillow fails to apply it and refuses the file, as it refuses a palette of more than 256
// entries. Types 0, 1, 3, 4 and 5 are raw rows padded to 16 bits; type 2 is byte-encoded: 0x80 0
// is 0x80, 0x80 n v is n + 1 copies of v (running on into the next rows), any other byte itself,
// over rows of the unpadded width. Pillow ignores the header's data length.
#include <algorithm>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

uint32_t U32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// The RLE stream as SunRleDecode.c expands it, one row of `row_bytes` at a time.
class RleRows {
 public:
  RleRows(std::span<const uint8_t> data, size_t row_bytes) : data_(data), row_(row_bytes) {}

  // The next row, or false where the data ends first.
  bool Next() {
    size_t x = 0;
    while (x < row_.size()) {
      if (pending_ > 0) {
        const size_t n = std::min(pending_, row_.size() - x);
        std::fill_n(row_.begin() + static_cast<std::ptrdiff_t>(x), n, pending_value_);
        x += n;
        pending_ -= n;
        continue;
      }
      if (at_ >= data_.size()) return false;
      if (data_[at_] != 0x80) {
        row_[x++] = data_[at_++];
      } else if (data_.size() - at_ >= 2 && data_[at_ + 1] == 0) {
        row_[x++] = 0x80;
        at_ += 2;
      } else if (data_.size() - at_ >= 3) {
        pending_ = size_t{data_[at_ + 1]} + 1;
        pending_value_ = data_[at_ + 2];
        at_ += 3;
      } else {
        return false;
      }
    }
    return true;
  }
  const uint8_t* row() const { return row_.data(); }

 private:
  std::span<const uint8_t> data_;
  size_t at_ = 0;
  std::vector<uint8_t> row_;
  size_t pending_ = 0;  // copies of pending_value_ still to write
  uint8_t pending_value_ = 0;
};

}  // namespace

Decoded DecodeSun(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (bytes.size() < 32 || U32(bytes.data()) != 0x59A66A95) ctx.Fail("not a Sun raster file: its header is cut short");
  const uint8_t* s = bytes.data();
  const int64_t width = U32(s + 4), height = U32(s + 8);
  const uint32_t depth = U32(s + 12), type = U32(s + 20), map_type = U32(s + 24), map_length = U32(s + 28);
  if (depth != 1 && depth != 4 && depth != 8 && depth != 24 && depth != 32) {
    ctx.Fail("Sun raster of " + std::to_string(depth) + " bits per pixel (Pillow: Unsupported Mode/Bit Depth)",
             ErrorKind::kUnsupported);
  }
  Palette palette;
  bool has_palette = false;
  if (map_length != 0) {
    if (map_length > 1024) ctx.Fail("Sun raster colour map of " + std::to_string(map_length) + " bytes, over 1024");
    if (map_type != 1) ctx.Fail("Sun raster colour map of type " + std::to_string(map_type) + " (Pillow reads type 1)",
                                ErrorKind::kUnsupported);
    if (depth != 4 && depth != 8) {
      ctx.Fail("Sun raster of " + std::to_string(depth) +
               " bits per pixel with a colour map (Pillow: unrecognized image mode)");
    }
    const size_t read = std::min<size_t>(map_length, bytes.size() - 32);
    const size_t entries = read / 3;
    if (entries > 256) ctx.Fail("Sun raster colour map of " + std::to_string(entries) + " entries, over 256");
    for (size_t i = 0; i < entries; ++i) {
      palette.Set(static_cast<int>(i), s[32 + i], s[32 + entries + i], s[32 + 2 * entries + i]);
    }
    has_palette = true;
  }
  if (type > 5) ctx.Fail("Sun raster of type " + std::to_string(type) + " (Pillow: Unsupported Sun Raster file type)",
                         ErrorKind::kUnsupported);
  ctx.CheckSize(width, height);

  const auto w = static_cast<size_t>(width);
  const auto h = static_cast<size_t>(height);
  const uint64_t offset = uint64_t{32} + map_length;
  const std::span<const uint8_t> data = offset <= bytes.size() ? bytes.subspan(offset) : std::span<const uint8_t>();
  const size_t packed = (w * depth + 7) / 8;
  const bool rle = type == 2;
  const size_t stride = rle ? packed : (w * depth + 15) / 16 * 2;
  // A raw row takes `stride` bytes, the last one only its pixels' (RawDecode.c skips the padding
  // before each next row); an RLE triple gives at most 256 bytes.
  if (rle ? data.size() / 3 * 256 + data.size() % 3 < stride * h
          : data.size() < packed || (data.size() - packed) / stride < h - 1) {
    ctx.Fail("truncated Sun raster: the data end before the last row");
  }

  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  RleRows rle_rows(data, rle ? stride : 0);
  std::vector<uint8_t> samples(w);
  for (size_t y = 0; y < h; ++y) {
    const uint8_t* row = data.data() + y * stride;
    if (rle) {
      if (!rle_rows.Next()) ctx.Fail("truncated Sun raster: the RLE data end before the last row");
      row = rle_rows.row();
    }
    uint8_t* out = decoded.image.rgb.data() + y * w * 3;
    switch (depth) {
      case 1:
        for (size_t x = 0; x < w; ++x) samples[x] = ((row[x >> 3] >> (7 - (x & 7))) & 1) != 0 ? 0 : 255;
        GrayRowToRgb(samples.data(), w, out);
        break;
      case 4:
        for (size_t x = 0; x < w; ++x) {
          const int nibble = (row[x >> 1] >> ((x & 1) != 0 ? 0 : 4)) & 15;
          samples[x] = static_cast<uint8_t>(has_palette ? nibble : nibble * 17);
        }
        has_palette ? PaletteRowToRgb(samples.data(), w, palette, out) : GrayRowToRgb(samples.data(), w, out);
        break;
      case 8:
        has_palette ? PaletteRowToRgb(row, w, palette, out) : GrayRowToRgb(row, w, out);
        break;
      default: {
        const size_t step = depth / 8;
        const bool bgr = type != 3;
        for (size_t x = 0; x < w; ++x) {
          const uint8_t* p = row + x * step;
          out[3 * x] = p[bgr ? 2 : 0];
          out[3 * x + 1] = p[1];
          out[3 * x + 2] = p[bgr ? 0 : 2];
        }
        break;
      }
    }
  }
  return decoded;
}

}  // namespace vit::image
