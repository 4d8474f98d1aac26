// PIXAR raster images by hand, as Pillow 9.4's PixarImagePlugin reads them: only its one known layout,
// 8-bit RGB stored whole ("dumped") from offset 1024.
#include <cstring>
#include <string>

#include "image/decoders.h"

namespace vit::image {
namespace {

uint32_t U16(const uint8_t* p) { return p[0] | (uint32_t{p[1]} << 8); }

constexpr size_t kPixelsAt = 1024;

}  // namespace

// _accept, and the header fields without which Pillow's _open leaves no mode or size (and goes on).
bool LooksLikePixar(std::span<const uint8_t> bytes) {
  if (bytes.size() < 428 || std::memcmp(bytes.data(), "\x80\xe8\x00\x00", 4) != 0) return false;
  const uint8_t* s = bytes.data();
  return U16(s + 418) != 0 && U16(s + 416) != 0 && U16(s + 424) == 14 && U16(s + 426) == 2;
}

Decoded DecodePixar(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikePixar(bytes)) ctx.Fail("not a PIXAR image of a layout Pillow reads");
  const int64_t width = U16(bytes.data() + 418), height = U16(bytes.data() + 416);
  ctx.CheckSize(width, height);
  const size_t needed = static_cast<size_t>(width * height * 3);
  if (bytes.size() < kPixelsAt || bytes.size() - kPixelsAt < needed) {
    ctx.Fail("truncated PIXAR: " + std::to_string(needed) + " bytes of pixels needed from offset 1024");
  }
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  std::memcpy(decoded.image.rgb.data(), bytes.data() + kPixelsAt, needed);
  return decoded;
}

}  // namespace vit::image
