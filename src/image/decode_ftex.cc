// FTEX (Independence War 2 textures) by hand, as Pillow 9.4's FtexImagePlugin reads them: the first
// mipmap of a single-format file, DXT1 (through the BC1 decoder DDS uses) or raw RGB.
//
// Pillow reads the mipmap's stated size of bytes from the stated offset (a size of -1 reads to the end
// of the file, as Python's read does; other negative sizes are an error) and decodes the picture from
// the start of them; fewer bytes than the picture needs is a truncated file.
#include <cstring>
#include <string>

#include "image/decoders.h"

namespace vit::image {
namespace {

int32_t I32(const uint8_t* p) {
  return static_cast<int32_t>(p[0] | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24));
}

}  // namespace

bool LooksLikeFtex(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "FTEX", 4) == 0;
}

Decoded DecodeFtex(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikeFtex(bytes)) ctx.Fail("not an FTEX file");
  if (bytes.size() < 32) ctx.Fail("truncated FTEX: the header is cut short");
  const uint8_t* s = bytes.data();
  const int64_t width = I32(s + 8), height = I32(s + 12);
  const int32_t format_count = I32(s + 20), format = I32(s + 24), where = I32(s + 28);
  if (format_count != 1) {
    ctx.Fail("FTEX with " + std::to_string(format_count) + " formats (only single-format files are read)",
             ErrorKind::kUnsupported);
  }
  if (where < 0) ctx.Fail("FTEX mipmap offset is negative (" + std::to_string(where) + ")");
  const auto at = static_cast<size_t>(where);
  if (at > bytes.size() || bytes.size() - at < 4) ctx.Fail("truncated FTEX: the file ends before the mipmap size");
  const int32_t stated = I32(s + at);
  const size_t rest = bytes.size() - at - 4;
  if (stated < -1) ctx.Fail("FTEX mipmap size is negative (" + std::to_string(stated) + ")");
  const size_t available = stated == -1 ? rest : std::min(rest, static_cast<size_t>(stated));
  if (format != 0 && format != 1) {
    ctx.Fail("invalid FTEX texture compression format " + std::to_string(format), ErrorKind::kUnsupported);
  }
  ctx.CheckSize(width, height);
  const auto w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  const size_t needed = format == 0 ? ((w + 3) / 4) * ((h + 3) / 4) * 8 : w * h * 3;
  if (available < needed) {
    ctx.Fail("truncated FTEX: the mipmap holds " + std::to_string(available) + " bytes of the " +
             std::to_string(needed) + " the picture needs");
  }
  if (format == 0) return DecodeBc1Surface(ctx, at + 4, width, height);
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  std::memcpy(decoded.image.rgb.data(), s + at + 4, needed);
  return decoded;
}

}  // namespace vit::image
