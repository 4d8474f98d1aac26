// Kodak Photo CD by hand, as Pillow 9.4's PcdImagePlugin and PcdDecode.c read it: the 768x512 base
// image, uncompressed PhotoYCC (two luma rows, then one row each of half-width Cb and Cr) converted to
// RGB as Pillow's YCC unpacker converts it.
//
// Pillow's conversion uses integer tables built from the PhotoYCC transform of the Roberts/Ford colour
// space FAQ (L = 1.3584 Y, C1 = 2.2179 (Cb - 156), C2 = 1.8215 (Cr - 137); R = L + C2,
// G = L - 0.194 C1 - 0.509 C2, B = L + C1), each entry rounded by adding 0.5 and truncating toward
// zero. The tables here are computed the same way; the parity corpus checks them over every value.
// Pillow 9.4 fails to load a PCD whose orientation asks for a rotation; so does this decoder.
#include <array>
#include <cstring>
#include <string>

#include "image/decoders.h"

namespace vit::image {
namespace {

constexpr size_t kHeaderAt = 2048, kOrientationAt = kHeaderAt + 1538, kPixelsAt = 96 * 2048;
constexpr size_t kWidth = 768, kHeight = 512, kPairBytes = 3 * kWidth;

struct YccTables {
  std::array<int, 256> l, cb, gb, cr, gr;
  YccTables() {
    auto entry = [](double v) { return static_cast<int>(v + 0.5); };  // truncates toward zero, as int() does
    for (int i = 0; i < 256; ++i) {
      const double c1 = 2.2179 * (i - 156), c2 = 1.8215 * (i - 137);
      l[static_cast<size_t>(i)] = entry(1.3584 * i);
      cb[static_cast<size_t>(i)] = entry(c1);
      gb[static_cast<size_t>(i)] = entry(-0.194 * c1);
      cr[static_cast<size_t>(i)] = entry(c2);
      gr[static_cast<size_t>(i)] = entry(-0.509 * c2);
    }
  }
};

uint8_t Clip(int v) { return static_cast<uint8_t>(v <= 0 ? 0 : v >= 255 ? 255 : v); }

}  // namespace

bool LooksLikePcd(std::span<const uint8_t> bytes) {
  return bytes.size() > kOrientationAt && std::memcmp(bytes.data() + kHeaderAt, "PCD_", 4) == 0;
}

Decoded DecodePcd(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikePcd(bytes)) ctx.Fail("not a Photo CD image");
  const int orientation = bytes[kOrientationAt] & 3;
  if (orientation == 1 || orientation == 3) {
    ctx.Fail("rotated Photo CD image (Pillow 9.4 fails to rotate it while loading)", ErrorKind::kUnsupported);
  }
  if (bytes.size() < kPixelsAt || bytes.size() - kPixelsAt < kPairBytes * (kHeight / 2)) {
    ctx.Fail("truncated Photo CD image: the base image needs " + std::to_string(kPairBytes * (kHeight / 2)) +
             " bytes from offset " + std::to_string(kPixelsAt));
  }
  static const YccTables t;
  Decoded decoded;
  decoded.image = AllocateImage(ctx, kWidth, kHeight);
  uint8_t* out = decoded.image.rgb.data();
  for (size_t pair = 0; pair < kHeight / 2; ++pair) {
    const uint8_t* in = bytes.data() + kPixelsAt + pair * kPairBytes;
    for (size_t row = 0; row < 2; ++row) {
      for (size_t x = 0; x < kWidth; ++x, out += 3) {
        const size_t y = in[row * kWidth + x], cb = in[2 * kWidth + x / 2], cr = in[2 * kWidth + kWidth / 2 + x / 2];
        const int l = t.l[y];
        out[0] = Clip(l + t.cr[cr]);
        out[1] = Clip(l + t.gr[cr] + t.gb[cb]);
        out[2] = Clip(l + t.cb[cb]);
      }
    }
  }
  return decoded;
}

}  // namespace vit::image
