// BMP and headerless DIB by hand, following Pillow 9.4's BmpImagePlugin: header sizes 12 (OS/2 v1), 40, 64, 108 and 124;
// 1/4/8-bit palettes, 16-bit 5-5-5 and 5-6-5, 24-bit, 32-bit (alpha ignored), the bit-field layouts
// Pillow accepts, and RLE8/RLE4. Every read is bounds-checked against the file.
//
// Pillow's quirks are kept because they decide the pixels: a palette that is exactly black and white
// makes a mode "1" image read one bit per pixel whatever the file's depth, a palette that is a grey
// ramp makes mode "L" read one byte per pixel, rows are as long as the file's depth says, and the
// RLE reader follows BmpRleDecoder step for step (including its word alignment on the absolute file
// offset and its delta escape, which reads two bytes more than it uses).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

uint32_t U16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
uint32_t U32(const uint8_t* p) { return U16(p) | (U16(p + 2) << 16); }

// Pillow's raw modes for BMP rows, and how many bits each reads per pixel.
enum class RawMode { kP1, kP4, kP8, kBilevel, kGray, kBgr15, kBgr16, kBgr, kBgrx, kXbgr, kRgba, kBgra };

int RawBits(RawMode m) {
  switch (m) {
    case RawMode::kP1:
    case RawMode::kBilevel:
      return 1;
    case RawMode::kP4:
      return 4;
    case RawMode::kP8:
    case RawMode::kGray:
      return 8;
    case RawMode::kBgr15:
    case RawMode::kBgr16:
      return 16;
    case RawMode::kBgr:
      return 24;
    default:
      return 32;
  }
}

// One row of `width` pixels in raw mode `m` to RGB.
void UnpackRow(RawMode m, const uint8_t* in, size_t width, const Palette& palette, uint8_t* out) {
  for (size_t x = 0; x < width; ++x) {
    uint8_t* o = out + 3 * x;
    switch (m) {
      case RawMode::kP1: {
        const int bit = (in[x >> 3] >> (7 - (x & 7))) & 1;
        std::memcpy(o, palette.Entry(bit), 3);
        break;
      }
      case RawMode::kP4: {
        const int nibble = (x & 1) != 0 ? in[x >> 1] & 15 : in[x >> 1] >> 4;
        std::memcpy(o, palette.Entry(nibble), 3);
        break;
      }
      case RawMode::kP8:
        std::memcpy(o, palette.Entry(in[x]), 3);
        break;
      case RawMode::kBilevel:
        o[0] = o[1] = o[2] = ((in[x >> 3] >> (7 - (x & 7))) & 1) != 0 ? 255 : 0;
        break;
      case RawMode::kGray:
        o[0] = o[1] = o[2] = in[x];
        break;
      case RawMode::kBgr15: {
        const uint32_t v = U16(in + 2 * x);
        o[0] = static_cast<uint8_t>(((v >> 10) & 31) * 255 / 31);
        o[1] = static_cast<uint8_t>(((v >> 5) & 31) * 255 / 31);
        o[2] = static_cast<uint8_t>((v & 31) * 255 / 31);
        break;
      }
      case RawMode::kBgr16: {
        const uint32_t v = U16(in + 2 * x);
        o[0] = static_cast<uint8_t>(((v >> 11) & 31) * 255 / 31);
        o[1] = static_cast<uint8_t>(((v >> 5) & 63) * 255 / 63);
        o[2] = static_cast<uint8_t>((v & 31) * 255 / 31);
        break;
      }
      case RawMode::kBgr:
        o[0] = in[3 * x + 2];
        o[1] = in[3 * x + 1];
        o[2] = in[3 * x];
        break;
      case RawMode::kBgrx:
      case RawMode::kBgra:
        o[0] = in[4 * x + 2];
        o[1] = in[4 * x + 1];
        o[2] = in[4 * x];
        break;
      case RawMode::kXbgr:  // also ABGR: the first byte is X or A
        o[0] = in[4 * x + 3];
        o[1] = in[4 * x + 2];
        o[2] = in[4 * x + 1];
        break;
      case RawMode::kRgba:
        o[0] = in[4 * x];
        o[1] = in[4 * x + 1];
        o[2] = in[4 * x + 2];
        break;
    }
  }
}

struct Header {
  uint32_t header_size = 0;
  int64_t width = 0;
  int64_t height = 0;
  bool top_down = false;
  uint32_t bits = 0;
  uint32_t compression = 0;
  int64_t colors = 0;
  int palette_padding = 4;
  size_t after_header = 0;  // where Pillow's file pointer is once the header (and any masks) are read
  uint32_t masks[4] = {0, 0, 0, 0};
};

constexpr uint32_t kRaw = 0, kRle8 = 1, kRle4 = 2, kBitfields = 3;

Header ReadHeader(const DecodeContext& ctx, size_t at) {
  const auto bytes = ctx.bytes();
  if (bytes.size() < 4 || bytes.size() - 4 < at) ctx.Fail("truncated BMP: the file ends inside its headers");
  Header h;
  h.header_size = U32(bytes.data() + at);
  if (h.header_size != 12 && h.header_size != 40 && h.header_size != 64 && h.header_size != 108 &&
      h.header_size != 124) {
    ctx.Fail("unsupported BMP header type (" + std::to_string(h.header_size) + " bytes)", ErrorKind::kUnsupported);
  }
  if (bytes.size() - at < h.header_size) ctx.Fail("truncated BMP: the file ends inside its headers");
  const uint8_t* d = bytes.data() + at + 4;  // header_data: the header after its size field
  h.after_header = at + h.header_size;
  if (h.header_size == 12) {
    h.width = U16(d);
    h.height = U16(d + 2);
    h.bits = U16(d + 6);
    h.compression = kRaw;
    h.palette_padding = 3;
  } else {
    // Pillow reads the width and height unsigned; a height whose top byte is 0xFF means top-down.
    h.top_down = d[7] == 0xFF;
    h.width = U32(d);
    h.height = h.top_down ? (int64_t{1} << 32) - U32(d + 4) : U32(d + 4);
    h.bits = U16(d + 10);
    h.compression = U32(d + 12);
    h.colors = U32(d + 28);
    if (h.compression == kBitfields) {
      if (h.header_size >= 56) {
        for (int i = 0; i < 4; ++i) h.masks[i] = U32(d + 36 + 4 * i);
      } else {
        // 40-byte headers keep three masks after the header.
        if (bytes.size() < h.after_header + 12) ctx.Fail("truncated BMP: the file ends inside its bit-field masks");
        for (int i = 0; i < 3; ++i) h.masks[i] = U32(bytes.data() + h.after_header + 4 * i);
        h.after_header += 12;
      }
    }
  }
  if (h.colors == 0) h.colors = h.bits < 63 ? int64_t{1} << h.bits : 0;
  return h;
}

RawMode BitfieldMode(const DecodeContext& ctx, const Header& h) {
  const uint32_t r = h.masks[0], g = h.masks[1], b = h.masks[2], a = h.masks[3];
  if (h.bits == 32) {
    if (r == 0xFF0000 && g == 0xFF00 && b == 0xFF && a == 0) return RawMode::kBgrx;
    if (r == 0xFF000000 && g == 0xFF0000 && b == 0xFF00 && (a == 0 || a == 0xFF)) return RawMode::kXbgr;
    if (r == 0xFF && g == 0xFF00 && b == 0xFF0000 && a == 0xFF000000) return RawMode::kRgba;
    if (r == 0xFF0000 && g == 0xFF00 && b == 0xFF && a == 0xFF000000) return RawMode::kBgra;
    if (r == 0 && g == 0 && b == 0 && a == 0) return RawMode::kBgra;
  } else if (h.bits == 24) {
    if (r == 0xFF0000 && g == 0xFF00 && b == 0xFF) return RawMode::kBgr;
  } else if (h.bits == 16) {
    if (r == 0xF800 && g == 0x7E0 && b == 0x1F) return RawMode::kBgr16;
    if (r == 0x7C00 && g == 0x3E0 && b == 0x1F) return RawMode::kBgr15;
  }
  ctx.Fail("unsupported BMP bit-field layout", ErrorKind::kUnsupported);
}

// BmpRleDecoder: the indices of the whole picture, top row last as in the file (bottom-up).
std::vector<uint8_t> DecodeRle(const DecodeContext& ctx, size_t offset, int64_t width, int64_t height, bool rle4) {
  const auto bytes = ctx.bytes();
  const size_t total = static_cast<size_t>(width) * static_cast<size_t>(height);
  const auto w = static_cast<size_t>(width);
  std::vector<uint8_t> data;
  data.reserve(total);
  size_t at = std::min(offset, bytes.size());
  size_t x = 0;
  auto read = [&](size_t n) {
    const size_t got = std::min(n, bytes.size() - at);
    const size_t from = at;
    at += got;
    return std::pair{from, got};
  };
  while (data.size() < total) {
    const auto [p, np] = read(1);
    const auto [c, nc] = read(1);
    if (np == 0 || nc == 0) break;
    size_t count = bytes[p];
    const uint8_t byte = bytes[c];
    if (count != 0) {  // encoded run
      if (x + count > w) count = x < w ? w - x : 0;
      for (size_t i = 0; i < count; ++i) data.push_back(rle4 ? ((i % 2 == 0) ? byte >> 4 : byte & 15) : byte);
      x += count;
    } else if (byte == 0) {  // end of line
      while (data.size() % w != 0) data.push_back(0);
      x = 0;
    } else if (byte == 1) {  // end of bitmap
      break;
    } else if (byte == 2) {  // delta
      if (read(2).second < 2) break;
      const auto [d, nd] = read(2);
      if (nd < 2) ctx.Fail("truncated BMP: RLE delta escape without its offsets");
      data.insert(data.end(), static_cast<size_t>(bytes[d]) + static_cast<size_t>(bytes[d + 1]) * w, 0);
      x = data.size() % w;
    } else {  // absolute run of `byte` pixels
      const size_t want = rle4 ? byte / 2 : byte;
      const auto [a, na] = read(want);
      for (size_t i = 0; i < na; ++i) {
        if (rle4) {
          data.push_back(bytes[a + i] >> 4);
          data.push_back(bytes[a + i] & 15);
        } else {
          data.push_back(bytes[a + i]);
        }
      }
      if (na < want) break;
      x += byte;
      if (at % 2 != 0 && at < bytes.size()) ++at;  // word alignment on the file offset
    }
  }
  if (data.size() < total) ctx.Fail("truncated BMP: the RLE data covers fewer pixels than the image has");
  data.resize(total);
  return data;
}

}  // namespace

Decoded DecodeBitmap(const DecodeContext& ctx, const BitmapPlace& place) {
  const auto bytes = ctx.bytes();
  Header h = ReadHeader(ctx, place.header_at);
  size_t offset = place.data_offset;
  if (offset == 14 + h.header_size && h.bits <= 8) offset += 4 * static_cast<size_t>(h.colors);

  RawMode mode;
  bool palettised = false;
  switch (h.bits) {
    case 1:
      mode = RawMode::kP1;
      palettised = true;
      break;
    case 4:
      mode = RawMode::kP4;
      palettised = true;
      break;
    case 8:
      mode = RawMode::kP8;
      palettised = true;
      break;
    case 16:
      mode = RawMode::kBgr15;
      break;
    case 24:
      mode = RawMode::kBgr;
      break;
    case 32:
      mode = RawMode::kBgrx;
      break;
    default:
      ctx.Fail("unsupported BMP pixel depth (" + std::to_string(h.bits) + " bits)", ErrorKind::kUnsupported);
  }
  const bool rle = h.compression == kRle8 || h.compression == kRle4;
  if (h.compression == kBitfields) {
    mode = BitfieldMode(ctx, h);
  } else if (h.compression != kRaw && !rle) {
    ctx.Fail("unsupported BMP compression (" + std::to_string(h.compression) + ")", ErrorKind::kUnsupported);
  }
  ctx.CheckSize(h.width, h.height);
  if (place.rows == BitmapRows::kHalf) {
    h.height /= 2;  // an icon's or cursor's colour rows; its AND mask follows them
    ctx.CheckSize(h.width, h.height);
  }

  Palette palette;
  bool gray = false, bilevel = false;
  if (palettised) {
    if (h.colors <= 0 || h.colors > 65536) {
      ctx.Fail("unsupported BMP palette size (" + std::to_string(h.colors) + ")", ErrorKind::kUnsupported);
    }
    if (h.colors > 256) ctx.Fail("BMP palette of " + std::to_string(h.colors) + " colours is more than 256");
    const size_t entry = static_cast<size_t>(h.palette_padding);
    const size_t n = static_cast<size_t>(h.colors);
    if (bytes.size() - h.after_header < entry * n) ctx.Fail("truncated BMP: the file ends inside its palette");
    const uint8_t* pal = bytes.data() + h.after_header;
    // Pillow drops a palette that is exactly black/white (2 colours) or a grey ramp.
    gray = true;
    for (size_t i = 0; i < n; ++i) {
      const uint8_t v = n == 2 ? static_cast<uint8_t>(i == 0 ? 0 : 255) : static_cast<uint8_t>(i);
      const uint8_t* e = pal + i * entry;
      if (e[0] != v || e[1] != v || e[2] != v) gray = false;
      palette.Set(static_cast<int>(i), e[2], e[1], e[0]);
    }
    if (gray) {
      bilevel = n == 2;
      mode = bilevel ? RawMode::kBilevel : RawMode::kGray;
    }
  }

  // Without an offset (a bare DIB, or a BMP whose header says 0), the pixels follow the header, the masks
  // and the palette, where Pillow's file pointer then is.
  if (offset == 0) offset = h.after_header + (palettised ? static_cast<size_t>(h.palette_padding * h.colors) : 0);
  if (place.pixel_offset != nullptr) *place.pixel_offset = offset;

  Decoded decoded;
  decoded.image = AllocateImage(ctx, h.width, h.height);
  const auto width = static_cast<size_t>(h.width);
  const auto height = static_cast<size_t>(h.height);
  const size_t out_stride = width * 3;
  if (rle) {
    if (bilevel) ctx.Fail("RLE-compressed BMP with a black-and-white palette (Pillow cannot read it)", ErrorKind::kUnsupported);
    const std::vector<uint8_t> indices = DecodeRle(ctx, offset, h.width, h.height, h.compression == kRle4);
    for (size_t row = 0; row < height; ++row) {
      const size_t y = h.top_down ? row : height - 1 - row;
      PaletteRowToRgb(indices.data() + row * width, width, palette, decoded.image.rgb.data() + y * out_stride);
    }
    return decoded;
  }
  const size_t stride = ((static_cast<size_t>(h.width) * h.bits + 31) >> 3) & ~size_t{3};
  const size_t need = (width * static_cast<size_t>(RawBits(mode)) + 7) / 8;
  if (stride < need) ctx.Fail("BMP rows are too short for Pillow's reading of them (palette taken as grey)");
  if (offset > bytes.size() || (bytes.size() - offset) / stride < height - 1 ||
      bytes.size() - offset - (height - 1) * stride < need) {
    ctx.Fail("truncated BMP: the pixel data ends before the last row");
  }
  for (size_t row = 0; row < height; ++row) {
    const size_t y = h.top_down ? row : height - 1 - row;
    UnpackRow(mode, bytes.data() + offset + row * stride, width, palette, decoded.image.rgb.data() + y * out_stride);
  }
  return decoded;
}

Decoded DecodeBmp(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (bytes.size() < 14) ctx.Fail("truncated BMP: the file ends inside its headers");
  BitmapPlace place;
  place.header_at = 14;
  place.data_offset = U32(bytes.data() + 10);
  return DecodeBitmap(ctx, place);
}

Decoded DecodeDib(const DecodeContext& ctx) { return DecodeBitmap(ctx, BitmapPlace{}); }

}  // namespace vit::image
