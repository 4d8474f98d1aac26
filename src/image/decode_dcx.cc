// DCX (Intel's multi-page PCX) by hand, following Pillow 9.4's DcxImagePlugin: the first page.
//
// After the magic number, a directory of up to 1024 little-endian page offsets ends at a zero one;
// Pillow refuses a directory the file ends inside, and a file without pages. The first page is read as
// a PCX file whose header sits at its offset (DecodePcxAt, with Pillow's seeks relative to the whole
// file).
#include <string>

#include "image/decoders.h"

namespace vit::image {
namespace {

uint32_t U32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

Decoded DecodeDcx(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (bytes.size() < 4 || U32(bytes.data()) != 0x3ADE68B1) ctx.Fail("not a DCX file");
  uint32_t first = 0;
  for (size_t i = 0; i < 1024; ++i) {
    const size_t at = 4 + 4 * i;
    if (bytes.size() - at < 4) ctx.Fail("DCX page directory cut short after " + std::to_string(i) + " entries");
    const uint32_t offset = U32(bytes.data() + at);
    if (offset == 0) break;
    if (i == 0) first = offset;
  }
  if (first == 0) ctx.Fail("DCX file without pages: its directory is empty");
  if (first > bytes.size() || !LooksLikePcx(bytes.subspan(first))) {
    ctx.Fail("DCX page 1 at offset " + std::to_string(first) + " is not a PCX image");
  }
  return DecodePcxAt(ctx, first);
}

}  // namespace vit::image
