// TGA by hand, following Pillow 9.4's TgaImagePlugin and TgaRleDecode.c: colour-mapped (8-bit
// indices), grey (1, 8 and 16-bit grey+alpha) and true colour (15/16, 24, 32-bit), raw or RLE, bottom-up
// or top-down, mirrored when the origin is on the right.
//
// Pillow's reading decides which files open and how:
//  - a colour map is read only at 16, 24 or 32 bits per entry; at any other depth its bytes are not
//    skipped and the pixels are read from where the map starts; a 32-bit map is refused;
//  - map entries below the map's first index are black, those after it keep the grey ramp, and a map
//    reaching past 256 entries is refused;
//  - a map given to a grey file turns it into a palette image (grey+alpha looks its grey byte up too);
//    a true-colour or 1-bit file with a map is refused;
//  - an RLE packet may not run past the end of its row, and 1-bit RLE never fills a row.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

uint32_t U16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }

enum class RawMode { kP, kBilevel, kGray, kGrayAlpha, kBgr15, kBgr, kBgra };

int RawBits(RawMode m) {
  switch (m) {
    case RawMode::kBilevel:
      return 1;
    case RawMode::kP:
    case RawMode::kGray:
      return 8;
    case RawMode::kGrayAlpha:
    case RawMode::kBgr15:
      return 16;
    case RawMode::kBgr:
      return 24;
    case RawMode::kBgra:
      return 32;
  }
  return 8;
}

uint8_t Expand5(uint32_t v) { return static_cast<uint8_t>((v & 31) * 255 / 31); }

void UnpackRow(RawMode m, bool lookup, const uint8_t* in, size_t width, const Palette& palette, uint8_t* out) {
  for (size_t x = 0; x < width; ++x) {
    uint8_t* o = out + 3 * x;
    switch (m) {
      case RawMode::kBilevel:
        o[0] = o[1] = o[2] = ((in[x >> 3] >> (7 - (x & 7))) & 1) != 0 ? 255 : 0;
        break;
      case RawMode::kP:
      case RawMode::kGray:
        if (lookup) {
          std::memcpy(o, palette.Entry(in[x]), 3);
        } else {
          o[0] = o[1] = o[2] = in[x];
        }
        break;
      case RawMode::kGrayAlpha:
        if (lookup) {
          std::memcpy(o, palette.Entry(in[2 * x]), 3);
        } else {
          o[0] = o[1] = o[2] = in[2 * x];
        }
        break;
      case RawMode::kBgr15: {
        const uint32_t v = U16(in + 2 * x);
        o[0] = Expand5(v >> 10);
        o[1] = Expand5(v >> 5);
        o[2] = Expand5(v);
        break;
      }
      case RawMode::kBgr:
      case RawMode::kBgra: {
        const size_t n = m == RawMode::kBgr ? 3 : 4;
        o[0] = in[n * x + 2];
        o[1] = in[n * x + 1];
        o[2] = in[n * x];
        break;
      }
    }
  }
}

bool ModeFor(int type, int depth, RawMode& mode) {
  switch (type * 100 + depth) {
    case 108:
      mode = RawMode::kP;
      return true;
    case 301:
      mode = RawMode::kBilevel;
      return true;
    case 308:
      mode = RawMode::kGray;
      return true;
    case 316:
      mode = RawMode::kGrayAlpha;
      return true;
    case 216:
      mode = RawMode::kBgr15;
      return true;
    case 224:
      mode = RawMode::kBgr;
      return true;
    case 232:
      mode = RawMode::kBgra;
      return true;
    default:
      return false;
  }
}

}  // namespace

bool LooksLikeTga(std::span<const uint8_t> bytes) {
  if (bytes.size() < 18) return false;
  const uint8_t type = bytes[2], depth = bytes[16];
  return bytes[1] <= 1 && U16(bytes.data() + 12) > 0 && U16(bytes.data() + 14) > 0 &&
         (depth == 1 || depth == 8 || depth == 16 || depth == 24 || depth == 32) &&
         (type == 1 || type == 2 || type == 3 || type == 9 || type == 10 || type == 11);
}

Decoded DecodeTga(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikeTga(bytes)) ctx.Fail("not a TGA file");
  const uint8_t* s = bytes.data();
  const int type = s[2], depth = s[16], flags = s[17];
  const int64_t width = U16(s + 12), height = U16(s + 14);
  const bool rle = (type & 8) != 0;
  const bool bottom_up = (flags & 0x20) == 0;
  const bool mirrored = (flags & 0x10) != 0;
  ctx.CheckSize(width, height);

  size_t at = std::min(bytes.size(), size_t{18} + s[0]);  // after the image ID
  Palette palette;
  bool has_map = false;
  const int map_depth = s[7];
  if (s[1] == 1 && (map_depth == 16 || map_depth == 24 || map_depth == 32)) {
    if (map_depth == 32) ctx.Fail("TGA colour map of 32-bit entries (Pillow cannot read it)", ErrorKind::kUnsupported);
    has_map = true;
    const size_t start = U16(s + 3), size = U16(s + 5), entry = static_cast<size_t>(map_depth / 8);
    const size_t got = std::min(entry * size, bytes.size() - at);
    if (start + got / entry > 256) ctx.Fail("TGA colour map of more than 256 entries");
    for (size_t i = 0; i < start; ++i) palette.Set(static_cast<int>(i), 0, 0, 0);
    for (size_t i = 0; i < got / entry; ++i) {
      const uint8_t* e = bytes.data() + at + i * entry;
      const auto index = static_cast<int>(start + i);
      if (entry == 2) {
        const uint32_t v = U16(e);
        palette.Set(index, Expand5(v >> 10), Expand5(v >> 5), Expand5(v));
      } else {
        palette.Set(index, e[2], e[1], e[0]);
      }
    }
    at += got;
  }

  RawMode mode;
  if (!ModeFor(type & 7, depth, mode)) {
    ctx.Fail("unsupported TGA layout (image type " + std::to_string(type) + ", " + std::to_string(depth) +
                 " bits per pixel)",
             ErrorKind::kUnsupported);
  }
  if (has_map && (mode == RawMode::kBilevel || mode == RawMode::kBgr15 || mode == RawMode::kBgr ||
                  mode == RawMode::kBgra)) {
    ctx.Fail("TGA file with a colour map for pixels that are not indices (Pillow cannot read it)",
             ErrorKind::kUnsupported);
  }
  if (rle && mode == RawMode::kBilevel) ctx.Fail("truncated TGA: 1-bit RLE data never fills a row");
  const bool lookup = mode == RawMode::kP || has_map;

  const auto w = static_cast<size_t>(width);
  const auto h = static_cast<size_t>(height);
  const size_t row_bytes = (w * static_cast<size_t>(RawBits(mode)) + 7) / 8;
  std::vector<uint8_t> rows;  // RLE output, row by row as in the file
  const uint8_t* pixels = nullptr;
  if (rle) {
    // Every packet is at least 2 bytes and yields at most 128 pixels: a file too short for the picture
    // is refused before the picture is allocated.
    const size_t left = bytes.size() - at;
    const size_t pixel_bytes = static_cast<size_t>(depth / 8);
    if (left / 2 < (w * h + 127) / 128) ctx.Fail("truncated TGA: the RLE data ends before the last row");
    rows.resize(row_bytes * h);
    size_t x = 0, y = 0;
    while (y < h) {
      if (at >= bytes.size()) ctx.Fail("truncated TGA: the RLE data ends before the last row");
      const uint8_t head = bytes[at];
      const size_t count = (head & 0x7F) + 1;
      const size_t n = count * pixel_bytes;
      const size_t need = (head & 0x80) != 0 ? pixel_bytes : n;
      if (bytes.size() - at - 1 < need) ctx.Fail("truncated TGA: the RLE data ends before the last row");
      if (x + n > row_bytes) ctx.Fail("TGA RLE packet runs past the end of its row");
      uint8_t* dst = rows.data() + y * row_bytes + x;
      if ((head & 0x80) != 0) {
        for (size_t i = 0; i < count; ++i) std::memcpy(dst + i * pixel_bytes, bytes.data() + at + 1, pixel_bytes);
      } else {
        std::memcpy(dst, bytes.data() + at + 1, n);
      }
      at += 1 + need;
      x += n;
      if (x >= row_bytes) {
        x = 0;
        ++y;
      }
    }
    pixels = rows.data();
  } else {
    if ((bytes.size() - at) / row_bytes < h) ctx.Fail("truncated TGA: the pixel data ends before the last row");
    pixels = bytes.data() + at;
  }

  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  const size_t out_stride = w * 3;
  for (size_t row = 0; row < h; ++row) {
    const size_t y = bottom_up ? h - 1 - row : row;
    uint8_t* out = decoded.image.rgb.data() + y * out_stride;
    UnpackRow(mode, lookup, pixels + row * row_bytes, w, palette, out);
    if (mirrored) {
      for (size_t a = 0, b = w - 1; a < b; ++a, --b) std::swap_ranges(out + 3 * a, out + 3 * a + 3, out + 3 * b);
    }
  }
  return decoded;
}

}  // namespace vit::image
