// GIMP brushes (GBR, versions 1 and 2) by hand, as Pillow 9.4's GbrImagePlugin reads them: grey ("L")
// or RGBA pixels right after the header, whose first field gives its size.
#include <cstring>
#include <string>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

uint32_t U32(const uint8_t* p) { return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]; }

}  // namespace

// _accept and the checks of _open that send Pillow on to the next format when they fail.
bool LooksLikeGbr(std::span<const uint8_t> bytes) {
  if (bytes.size() < 20) return false;
  const uint8_t* s = bytes.data();
  const uint32_t header_size = U32(s), version = U32(s + 4), depth = U32(s + 16);
  if (header_size < 20 || (version != 1 && version != 2)) return false;
  if (U32(s + 8) == 0 || U32(s + 12) == 0 || (depth != 1 && depth != 4)) return false;
  return version == 1 || (bytes.size() >= 28 && std::memcmp(s + 20, "GIMP", 4) == 0);
}

Decoded DecodeGbr(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikeGbr(bytes)) ctx.Fail("not a GIMP brush");
  const uint8_t* s = bytes.data();
  const uint32_t header_size = U32(s), version = U32(s + 4), depth = U32(s + 16);
  const int64_t width = U32(s + 8), height = U32(s + 12);
  ctx.CheckSize(width, height);
  // A version 2 header under 28 bytes makes Pillow read its comment to the end of the file.
  if (version == 2 && header_size < 28) ctx.Fail("GIMP brush header size " + std::to_string(header_size) +
                                                 " is shorter than a version 2 header");
  const auto w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  const size_t needed = w * h * depth;
  if (header_size > bytes.size() || (bytes.size() - header_size) / depth / w < h) {
    ctx.Fail("truncated GIMP brush: the pixels need " + std::to_string(needed) + " bytes after the header");
  }
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  const uint8_t* in = s + header_size;
  uint8_t* out = decoded.image.rgb.data();
  if (depth == 1) {
    GrayRowToRgb(in, w * h, out);
  } else {
    RgbaRowToRgb(in, w * h, out);
  }
  return decoded;
}

}  // namespace vit::image
