#include "image/bcn_blocks.h"

namespace vit::image {
namespace {

Rgba Expand565(uint32_t v, Widen565 widen) {
  Rgba c;
  const uint32_t r = (v & 0xF800) >> 8, g = (v & 0x7E0) >> 3, b = (v & 0x1F) << 3;
  if (widen == Widen565::kShift) {
    c.r = static_cast<uint8_t>(r);
    c.g = static_cast<uint8_t>(g);
    c.b = static_cast<uint8_t>(b);
  } else {
    c.r = static_cast<uint8_t>(r | (r >> 5));
    c.g = static_cast<uint8_t>(g | (g >> 6));
    c.b = static_cast<uint8_t>(b | (b >> 5));
  }
  c.a = 255;
  return c;
}

}  // namespace

void ColourBlock(const uint8_t* src, bool always_four, Widen565 widen, std::array<Rgba, 16>& out) {
  const uint32_t c0 = src[0] | (uint32_t{src[1]} << 8), c1 = src[2] | (uint32_t{src[3]} << 8);
  const uint32_t lut = src[4] | (uint32_t{src[5]} << 8) | (uint32_t{src[6]} << 16) | (uint32_t{src[7]} << 24);
  std::array<Rgba, 4> p;
  p[0] = Expand565(c0, widen);
  p[1] = Expand565(c1, widen);
  auto mix = [&](int w0, int w1, int d) {
    Rgba c;
    c.r = static_cast<uint8_t>((w0 * p[0].r + w1 * p[1].r) / d);
    c.g = static_cast<uint8_t>((w0 * p[0].g + w1 * p[1].g) / d);
    c.b = static_cast<uint8_t>((w0 * p[0].b + w1 * p[1].b) / d);
    c.a = 255;
    return c;
  };
  if (c0 > c1 || always_four) {
    p[2] = mix(2, 1, 3);
    p[3] = mix(1, 2, 3);
  } else {
    p[2] = mix(1, 1, 2);
    p[3] = Rgba{};
  }
  for (int n = 0; n < 16; ++n) out[static_cast<size_t>(n)] = p[(lut >> (2 * n)) & 3];
}

void ChannelBlock(const uint8_t* src, bool sign, std::array<uint8_t, 16>& out) {
  const int a0 = sign ? (static_cast<int8_t>(src[0]) + 255) / 2 : src[0];
  const int a1 = sign ? (static_cast<int8_t>(src[1]) + 255) / 2 : src[1];
  std::array<uint8_t, 8> a{static_cast<uint8_t>(a0), static_cast<uint8_t>(a1)};
  if (a0 > a1) {
    for (int i = 1; i <= 6; ++i) a[static_cast<size_t>(i) + 1] = static_cast<uint8_t>(((7 - i) * a0 + i * a1) / 7);
  } else {
    for (int i = 1; i <= 4; ++i) a[static_cast<size_t>(i) + 1] = static_cast<uint8_t>(((5 - i) * a0 + i * a1) / 5);
    a[6] = 0;
    a[7] = 255;
  }
  const uint32_t lut1 = src[2] | (uint32_t{src[3]} << 8) | (uint32_t{src[4]} << 16);
  const uint32_t lut2 = src[5] | (uint32_t{src[6]} << 8) | (uint32_t{src[7]} << 16);
  for (int n = 0; n < 8; ++n) {
    out[static_cast<size_t>(n)] = a[(lut1 >> (3 * n)) & 7];
    out[static_cast<size_t>(n) + 8] = a[(lut2 >> (3 * n)) & 7];
  }
}

}  // namespace vit::image
