// ICO and CUR, following Pillow 9.4's IcoImagePlugin and CurImagePlugin.
//
// ICO: Pillow opens the largest entry (width x height, 0 meaning 256), the deepest of those (the bit
// count, else log2 of the colour count, else 256), and the last in the directory among equals. A PNG
// entry is read as a PNG file (its own size wins over the directory's); any other entry as a bare DIB
// whose upper half of rows is the picture. Pillow then reads the alpha for it, which decides whether the
// file opens: the 32-bit entries' fourth bytes from the pixel data, the others' AND mask from the end of
// the entry's bytes, and it refuses the file when either runs past the end of the file (all but the
// mask's last padding bytes).
//
// CUR: the first directory entry, replaced by any later one strictly wider and taller (as raw bytes,
// where 0 is 0), read as a DIB with the upper half of its rows.
#include <cmath>
#include <cstring>
#include <string>

#include "image/decoders.h"

namespace vit::image {
namespace {

uint32_t U16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
uint32_t U32(const uint8_t* p) { return U16(p) | (U16(p + 2) << 16); }

// The directory of icons or cursors: its entries are 16 bytes each after a 6-byte header.
const uint8_t* Directory(const DecodeContext& ctx, const char* kind, size_t& count) {
  const auto bytes = ctx.bytes();
  if (bytes.size() < 6) ctx.Fail(std::string("truncated ") + kind + ": the file ends inside its header");
  count = U16(bytes.data() + 4);
  if (count == 0) ctx.Fail(std::string(kind) + " file with no images in its directory");
  if ((bytes.size() - 6) / 16 < count) {
    ctx.Fail(std::string("truncated ") + kind + ": the file ends inside its directory");
  }
  return bytes.data() + 6;
}

// IcoFile's colour depth of an entry.
int ColorDepth(const uint8_t* e) {
  if (const uint32_t bpp = U16(e + 6); bpp != 0) return static_cast<int>(bpp);
  if (e[2] != 0) {
    // Python's ceil(log(n, 2)): log(n) / log(2) in doubles, as math.log computes it.
    const int d = static_cast<int>(std::ceil(std::log(static_cast<double>(e[2])) / std::log(2.0)));
    if (d != 0) return d;
  }
  return 256;
}

// Pillow reads the chosen image's header size with struct, whose error on a file that ends first makes
// Image.open go on to the plugins after ICO and CUR: of those we read, TGA.
Decoded NotAnIcon(const DecodeContext& ctx, const char* kind) {
  if (LooksLikeTga(ctx.bytes())) return DecodeTga(ctx);
  ctx.Fail(std::string("truncated ") + kind + ": the chosen image starts past the end of the file");
}

}  // namespace

Decoded DecodeIco(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  size_t count = 0;
  const uint8_t* dir = Directory(ctx, "ICO", count);
  const uint8_t* best = nullptr;
  int64_t best_square = -1;
  int best_depth = -1;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* e = dir + 16 * i;
    const int64_t square = int64_t{e[0] == 0 ? 256 : e[0]} * int64_t{e[1] == 0 ? 256 : e[1]};
    const int depth = ColorDepth(e);
    if (square > best_square || (square == best_square && depth >= best_depth)) {
      best = e;
      best_square = square;
      best_depth = depth;
    }
  }
  const size_t offset = U32(best + 12);
  if (offset > bytes.size() || bytes.size() - offset < 4) return NotAnIcon(ctx, "ICO");
  if (bytes.size() - offset >= 8 && std::memcmp(bytes.data() + offset, "\x89PNG\r\n\x1a\n", 8) == 0) {
    const DecodeContext png(bytes.subspan(offset), ctx.name(), false);
    Decoded decoded = DecodePng(png);
    decoded.orientation = 1;
    return decoded;
  }
  size_t pixels = 0;
  BitmapPlace place;
  place.header_at = offset;
  place.rows = BitmapRows::kHalf;
  place.pixel_offset = &pixels;
  Decoded decoded = DecodeBitmap(ctx, place);
  const auto w = static_cast<size_t>(decoded.image.width);
  const auto h = static_cast<size_t>(decoded.image.height);
  if (U16(best + 6) == 32) {
    if (pixels > bytes.size() || (bytes.size() - pixels) / 4 / w < h) {
      ctx.Fail("truncated ICO: the file ends inside the alpha of the 32-bit image");
    }
  } else {
    // Pillow reads the mask from where the entry's size says it ends, and its raw decoder needs every
    // row but the last row's padding: a file cut inside that padding still opens.
    const size_t stride = (w + 31) / 32 * 4;
    const uint64_t mask_bytes = uint64_t{stride} * h;
    const uint64_t needed = h == 0 ? 0 : mask_bytes - stride + (w + 7) / 8;
    const uint64_t end = uint64_t{offset} + U32(best + 8);
    if (end < mask_bytes || end - mask_bytes + needed > bytes.size()) {
      ctx.Fail("truncated ICO: the AND mask lies outside the file");
    }
  }
  return decoded;
}

Decoded DecodeCur(const DecodeContext& ctx) {
  size_t count = 0;
  const uint8_t* dir = Directory(ctx, "CUR", count);
  const uint8_t* m = dir;
  for (size_t i = 1; i < count; ++i) {
    const uint8_t* e = dir + 16 * i;
    if (e[0] > m[0] && e[1] > m[1]) m = e;
  }
  BitmapPlace place;
  // Pillow seeks to the header only when its offset is not 0; otherwise it reads on after the directory.
  place.header_at = U32(m + 12) != 0 ? U32(m + 12) : 6 + 16 * count;
  if (place.header_at > ctx.bytes().size() || ctx.bytes().size() - place.header_at < 4) return NotAnIcon(ctx, "CUR");
  place.rows = BitmapRows::kHalf;
  return DecodeBitmap(ctx, place);
}

}  // namespace vit::image
