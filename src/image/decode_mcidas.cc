// McIdas area files by hand, as Pillow 9.4's McIdasImagePlugin reads them: a 256-byte directory of
// big-endian words, then rows of 1, 2 or 4-byte big-endian samples ("L", "I;16B", "I;32B"), each row
// after a prefix and at the directory's stride.
//
// Which rows Pillow accepts depends on how it reads them. Grey rows are memory-mapped when the file
// holds every row at its full stride (a stride of 0 or less then means rows of the image's width);
// otherwise, as for the wider samples, the raw decoder reads them, which refuses a stride shorter than
// a row and needs only the last row's samples, not its padding.
#include <cstring>
#include <string>

#include "image/decoders.h"

namespace vit::image {
namespace {

int64_t Word(const uint8_t* s, int index) {  // 1-based, as the format numbers them
  const uint8_t* p = s + 4 * (index - 1);
  return static_cast<int32_t>((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]);
}

constexpr size_t kDirectory = 256;

}  // namespace

bool LooksLikeMcIdas(std::span<const uint8_t> bytes) {
  if (bytes.size() < kDirectory || std::memcmp(bytes.data(), "\0\0\0\0\0\0\0\4", 8) != 0) return false;
  const int64_t depth = Word(bytes.data(), 11);
  return (depth == 1 || depth == 2 || depth == 4) && Word(bytes.data(), 10) > 0 && Word(bytes.data(), 9) > 0;
}

Decoded DecodeMcIdas(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikeMcIdas(bytes)) ctx.Fail("not a McIdas area file of a depth Pillow reads");
  const uint8_t* s = bytes.data();
  const int64_t width = Word(s, 10), height = Word(s, 9), depth = Word(s, 11);
  ctx.CheckSize(width, height);
  // Python's integers do not overflow: the directory's products are taken in 128 bits.
  using Big = __int128;
  const int64_t offset = Word(s, 34) + Word(s, 15);
  Big stride = Word(s, 15) + Big{width} * depth * Word(s, 14);
  const Big row = Big{width} * depth, size = static_cast<Big>(bytes.size());
  if (offset < 0) ctx.Fail("McIdas data offset is negative (" + std::to_string(offset) + ")");
  bool fits = false;
  if (depth == 1 && (stride <= 0 || offset + height * stride <= size)) {
    if (stride <= 0) stride = width;  // memory-mapped, rows of the image's width
    fits = offset + (height - 1) * stride + row <= size && offset + height * stride <= size;
  } else {
    if (stride < 0 || (stride > 0 && stride < row)) {
      ctx.Fail("McIdas row stride " + std::to_string(static_cast<int64_t>(stride)) + " is shorter than a row of " +
               std::to_string(static_cast<int64_t>(row)) + " bytes");
    }
    if (stride == 0) stride = row;
    fits = offset + (height - 1) * stride + row <= size;
  }
  if (!fits) ctx.Fail("truncated McIdas: the rows run past the end of the file");
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  uint8_t* out = decoded.image.rgb.data();
  const auto w = static_cast<size_t>(width);
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* in = s + offset + static_cast<int64_t>(y * stride);
    for (size_t x = 0; x < w; ++x, out += 3) {
      int64_t v = in[x];
      if (depth == 2) v = (int64_t{in[2 * x]} << 8) | in[2 * x + 1];
      if (depth == 4) v = Word(in + 4 * x, 1);
      out[0] = out[1] = out[2] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);  // "I" to RGB clips
    }
  }
  return decoded;
}

}  // namespace vit::image
