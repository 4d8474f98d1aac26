#include "image/dds_bptc.h"

#include <cmath>
#include <utility>

namespace vit::image {
namespace {

// Bits of a 128-bit block, least significant first.
uint32_t Bits(const uint8_t* block, int at, int count) {
  uint32_t v = 0;
  for (int i = 0; i < count; ++i, ++at) v |= uint32_t{(block[at >> 3] >> (at & 7)) & 1u} << i;
  return v;
}

// The specification's partition tables: which subset each of the 16 pixels belongs to, for two subsets
// (one bit per pixel) and three (two bits per pixel), and the anchor pixels of the second and third
// subsets, whose index has one bit fewer.
constexpr uint16_t kTwoSubsets[64] = {
    0xcccc, 0x8888, 0xeeee, 0xecc8, 0xc880, 0xfeec, 0xfec8, 0xec80, 0xc800, 0xffec, 0xfe80, 0xe800, 0xffe8,
    0xff00, 0xfff0, 0xf000, 0xf710, 0x008e, 0x7100, 0x08ce, 0x008c, 0x7310, 0x3100, 0x8cce, 0x088c, 0x3110,
    0x6666, 0x366c, 0x17e8, 0x0ff0, 0x718e, 0x399c, 0xaaaa, 0xf0f0, 0x5a5a, 0x33cc, 0x3c3c, 0x55aa, 0x9696,
    0xa55a, 0x73ce, 0x13c8, 0x324c, 0x3bdc, 0x6996, 0xc33c, 0x9966, 0x0660, 0x0272, 0x04e4, 0x4e40, 0x2720,
    0xc936, 0x936c, 0x39c6, 0x639c, 0x9336, 0x9cc6, 0x817e, 0xe718, 0xccf0, 0x0fcc, 0x7744, 0xee22};
constexpr uint32_t kThreeSubsets[64] = {
    0xaa685050, 0x6a5a5040, 0x5a5a4200, 0x5450a0a8, 0xa5a50000, 0xa0a05050, 0x5555a0a0, 0x5a5a5050,
    0xaa550000, 0xaa555500, 0xaaaa5500, 0x90909090, 0x94949494, 0xa4a4a4a4, 0xa9a59450, 0x2a0a4250,
    0xa5945040, 0x0a425054, 0xa5a5a500, 0x55a0a0a0, 0xa8a85454, 0x6a6a4040, 0xa4a45000, 0x1a1a0500,
    0x0050a4a4, 0xaaa59090, 0x14696914, 0x69691400, 0xa08585a0, 0xaa821414, 0x50a4a450, 0x6a5a0200,
    0xa9a58000, 0x5090a0a8, 0xa8a09050, 0x24242424, 0x00aa5500, 0x24924924, 0x24499224, 0x50a50a50,
    0x500aa550, 0xaaaa4444, 0x66660000, 0xa5a0a5a0, 0x50a050a0, 0x69286928, 0x44aaaa44, 0x66666600,
    0xaa444444, 0x54a854a8, 0x95809580, 0x96969600, 0xa85454a8, 0x80959580, 0xaa141414, 0x96960000,
    0xaaaa1414, 0xa05050a0, 0xa0a5a5a0, 0x96000000, 0x40804080, 0xa9a8a9a8, 0xaaaaaa44, 0x2a4a5254};
constexpr uint8_t kAnchorOfTwo[64] = {15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
                                      15, 2,  8,  2,  2,  8,  8,  15, 2,  8,  2,  2,  8,  8,  2,  2,
                                      15, 15, 6,  8,  2,  8,  15, 15, 2,  8,  2,  2,  2,  15, 15, 6,
                                      6,  2,  6,  8,  15, 15, 2,  2,  15, 15, 15, 15, 15, 2,  2,  15};
constexpr uint8_t kSecondAnchorOfThree[64] = {3,  3,  15, 15, 8,  3,  15, 15, 8,  8,  6,  6,  6,  5,  3, 3,
                                              3,  3,  8,  15, 3,  3,  6,  10, 5,  8,  8,  6,  8,  5,  15, 15,
                                              8,  15, 3,  5,  6,  10, 8,  15, 15, 3,  15, 5,  15, 15, 15, 15,
                                              3,  15, 5,  5,  5,  8,  5,  10, 5,  10, 8,  13, 15, 12, 3,  3};
constexpr uint8_t kThirdAnchorOfThree[64] = {15, 8,  8,  3,  15, 15, 3,  8,  15, 15, 15, 15, 15, 15, 15, 8,
                                             15, 8,  15, 3,  15, 8,  15, 8,  3,  15, 6,  10, 15, 15, 10, 8,
                                             15, 3,  15, 10, 10, 8,  9,  10, 6,  15, 8,  15, 3,  6,  6,  8,
                                             15, 3,  15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 3,  15, 15, 8};

int Subset(int subsets, uint32_t partition, int pixel) {
  if (subsets == 2) return (kTwoSubsets[partition] >> pixel) & 1;
  if (subsets == 3) return static_cast<int>((kThreeSubsets[partition] >> (2 * pixel)) & 3);
  return 0;
}

// Interpolation weights (out of 64) for 2-, 3- and 4-bit indices.
const uint8_t* Weights(int index_bits) {
  static constexpr uint8_t k2[4] = {0, 21, 43, 64};
  static constexpr uint8_t k3[8] = {0, 9, 18, 27, 37, 46, 55, 64};
  static constexpr uint8_t k4[16] = {0, 4, 9, 13, 17, 21, 26, 30, 34, 38, 43, 47, 51, 55, 60, 64};
  return index_bits == 2 ? k2 : index_bits == 3 ? k3 : k4;
}

// --- BC7 ---

struct Bc7Mode {
  int subsets, partition_bits, rotation_bits, selector_bits, colour_bits, alpha_bits;
  bool pbit_per_endpoint, pbit_per_subset;
  int index_bits, second_index_bits;
};
constexpr Bc7Mode kBc7Modes[8] = {
    {3, 4, 0, 0, 4, 0, true, false, 3, 0}, {2, 6, 0, 0, 6, 0, false, true, 3, 0},
    {3, 6, 0, 0, 5, 0, false, false, 2, 0}, {2, 6, 0, 0, 7, 0, true, false, 2, 0},
    {1, 0, 2, 1, 5, 6, false, false, 2, 3}, {1, 0, 2, 0, 7, 8, false, false, 2, 2},
    {1, 0, 0, 0, 7, 7, true, false, 4, 0},  {2, 6, 0, 0, 5, 5, true, false, 2, 0}};

// A quantized value widened to 8 bits by repeating its top bits (in byte arithmetic, as Pillow does).
uint8_t Widen(uint8_t v, int bits) {
  v = static_cast<uint8_t>(v << (8 - bits));
  return static_cast<uint8_t>(v | (v >> bits));
}

uint8_t Mix(uint8_t e0, uint8_t e1, int weight) {
  return static_cast<uint8_t>(((64 - weight) * e0 + weight * e1 + 32) >> 6);
}

}  // namespace

void DecodeBc7Block(const uint8_t* block, std::array<uint8_t, 48>& rgb) {
  if (block[0] == 0) {  // no mode bit: Pillow gives opaque black
    rgb.fill(0);
    return;
  }
  int mode = 0;
  while ((block[0] & (1 << mode)) == 0) ++mode;
  const Bc7Mode& m = kBc7Modes[mode];
  int at = mode + 1;
  const auto take = [&](int count) {
    const uint32_t v = Bits(block, at, count);
    at += count;
    return v;
  };
  const uint32_t partition = take(m.partition_bits);
  const uint32_t rotation = take(m.rotation_bits);
  const uint32_t selector = take(m.selector_bits);
  const int endpoints = 2 * m.subsets;
  uint8_t e[6][4];  // r, g, b, a of each endpoint
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < endpoints; ++i) e[i][c] = static_cast<uint8_t>(take(m.colour_bits));
  }
  for (int i = 0; i < endpoints; ++i) e[i][3] = m.alpha_bits != 0 ? static_cast<uint8_t>(take(m.alpha_bits)) : 255;
  int colour_bits = m.colour_bits, alpha_bits = m.alpha_bits;
  const int channels_with_pbit = alpha_bits != 0 ? 4 : 3;
  const auto append_pbit = [&](int endpoint, uint32_t pbit) {
    for (int c = 0; c < channels_with_pbit; ++c) e[endpoint][c] = static_cast<uint8_t>((e[endpoint][c] << 1) | pbit);
  };
  if (m.pbit_per_endpoint || m.pbit_per_subset) {
    ++colour_bits;
    if (alpha_bits != 0) ++alpha_bits;
    for (int i = 0; i < endpoints; i += m.pbit_per_endpoint ? 1 : 2) {
      const uint32_t pbit = take(1);
      append_pbit(i, pbit);
      if (m.pbit_per_subset) append_pbit(i + 1, pbit);
    }
  }
  for (int i = 0; i < endpoints; ++i) {
    for (int c = 0; c < 3; ++c) e[i][c] = Widen(e[i][c], colour_bits);
    if (alpha_bits != 0) e[i][3] = Widen(e[i][3], alpha_bits);
  }
  const bool two_indices = m.alpha_bits != 0 && m.second_index_bits != 0;
  const uint8_t* colour_weights = Weights(m.index_bits);
  const uint8_t* alpha_weights = Weights(two_indices ? m.second_index_bits : m.index_bits);
  int first_at = at;
  int second_at = at + 16 * m.index_bits - m.subsets;
  for (int i = 0; i < 16; ++i) {
    const int s = Subset(m.subsets, partition, i);
    const bool anchor = i == 0 || (m.subsets == 2 && i == kAnchorOfTwo[partition]) ||
                        (m.subsets == 3 && (i == kSecondAnchorOfThree[partition] || i == kThirdAnchorOfThree[partition]));
    const int bits = m.index_bits - (anchor ? 1 : 0);
    const uint32_t first = Bits(block, first_at, bits);
    first_at += bits;
    int colour_weight = colour_weights[first], alpha_weight = colour_weights[first];
    if (two_indices) {
      const int bits2 = m.second_index_bits - (i == 0 ? 1 : 0);
      const uint32_t second = Bits(block, second_at, bits2);
      second_at += bits2;
      alpha_weight = alpha_weights[second];
      if (selector != 0) std::swap(colour_weight, alpha_weight);
    }
    uint8_t px[4];
    for (int c = 0; c < 4; ++c) px[c] = Mix(e[2 * s][c], e[2 * s + 1][c], c == 3 ? alpha_weight : colour_weight);
    if (rotation != 0) std::swap(px[rotation - 1], px[3]);
    for (int c = 0; c < 3; ++c) rgb[static_cast<size_t>(3 * i + c)] = px[c];
  }
}

namespace {

// --- BC6H ---

enum Endpoint { kR0, kG0, kB0, kR1, kG1, kB1, kR2, kG2, kB2, kR3, kG3, kB3 };
// A run of header bits: they go to bits first, first +- 1, ..., last of one endpoint component.
struct Field {
  uint8_t endpoint, first, last;
};
struct Bc6Mode {
  int subsets;
  bool deltas;  // the endpoints after the first are differences from it
  int partition_bits, endpoint_bits, delta_bits[3];
  Field fields[21];
};
// The specification's mode table (the modes in the order of their 2- or 5-bit codes 00, 01, then
// xxx10, then 00011, 00111, 01011, 01111), with each mode's header layout.
constexpr Bc6Mode kBc6Modes[14] = {
    {2, true, 5, 10, {5, 5, 5}, {{kG2, 4, 4}, {kB2, 4, 4}, {kB3, 4, 4}, {kR0, 0, 9}, {kG0, 0, 9}, {kB0, 0, 9}, {kR1, 0, 4},
                                 {kG3, 4, 4}, {kG2, 0, 3}, {kG1, 0, 4}, {kB3, 0, 0}, {kG3, 0, 3}, {kB1, 0, 4}, {kB3, 1, 1},
                                 {kB2, 0, 3}, {kR2, 0, 4}, {kB3, 2, 2}, {kR3, 0, 4}, {kB3, 3, 3}}},
    {2, true, 5, 7, {6, 6, 6}, {{kG2, 5, 5}, {kG3, 4, 5}, {kR0, 0, 6}, {kB3, 0, 1}, {kB2, 4, 4}, {kG0, 0, 6}, {kB2, 5, 5},
                                {kB3, 2, 2}, {kG2, 4, 4}, {kB0, 0, 6}, {kB3, 3, 3}, {kB3, 5, 4}, {kR1, 0, 5}, {kG2, 0, 3},
                                {kG1, 0, 5}, {kG3, 0, 3}, {kB1, 0, 5}, {kB2, 0, 3}, {kR2, 0, 5}, {kR3, 0, 5}}},
    {2, true, 5, 11, {5, 4, 4}, {{kR0, 0, 9}, {kG0, 0, 9}, {kB0, 0, 9}, {kR1, 0, 4}, {kR0, 10, 10}, {kG2, 0, 3},
                                 {kG1, 0, 3}, {kG0, 10, 10}, {kB3, 0, 0}, {kG3, 0, 3}, {kB1, 0, 3}, {kB0, 10, 10},
                                 {kB3, 1, 1}, {kB2, 0, 3}, {kR2, 0, 4}, {kB3, 2, 2}, {kR3, 0, 4}, {kB3, 3, 3}}},
    {2, true, 5, 11, {4, 5, 4}, {{kR0, 0, 9}, {kG0, 0, 9}, {kB0, 0, 9}, {kR1, 0, 3}, {kR0, 10, 10}, {kG3, 4, 4},
                                 {kG2, 0, 3}, {kG1, 0, 4}, {kG0, 10, 10}, {kG3, 0, 3}, {kB1, 0, 3}, {kB0, 10, 10},
                                 {kB3, 1, 1}, {kB2, 0, 3}, {kR2, 0, 3}, {kB3, 0, 0}, {kB3, 2, 2}, {kR3, 0, 3}, {kG2, 4, 4},
                                 {kB3, 3, 3}}},
    {2, true, 5, 11, {4, 4, 5}, {{kR0, 0, 9}, {kG0, 0, 9}, {kB0, 0, 9}, {kR1, 0, 3}, {kR0, 10, 10}, {kB2, 4, 4},
                                 {kG2, 0, 3}, {kG1, 0, 3}, {kG0, 10, 10}, {kB3, 0, 0}, {kG3, 0, 3}, {kB1, 0, 4},
                                 {kB0, 10, 10}, {kB2, 0, 3}, {kR2, 0, 3}, {kB3, 1, 2}, {kR3, 0, 3}, {kB3, 4, 3}}},
    {2, true, 5, 9, {5, 5, 5}, {{kR0, 0, 8}, {kB2, 4, 4}, {kG0, 0, 8}, {kG2, 4, 4}, {kB0, 0, 8}, {kB3, 4, 4}, {kR1, 0, 4},
                                {kG3, 4, 4}, {kG2, 0, 3}, {kG1, 0, 4}, {kB3, 0, 0}, {kG3, 0, 3}, {kB1, 0, 4}, {kB3, 1, 1},
                                {kB2, 0, 3}, {kR2, 0, 4}, {kB3, 2, 2}, {kR3, 0, 4}, {kB3, 3, 3}}},
    {2, true, 5, 8, {6, 5, 5}, {{kR0, 0, 7}, {kG3, 4, 4}, {kB2, 4, 4}, {kG0, 0, 7}, {kB3, 2, 2}, {kG2, 4, 4}, {kB0, 0, 7},
                                {kB3, 3, 4}, {kR1, 0, 5}, {kG2, 0, 3}, {kG1, 0, 4}, {kB3, 0, 0}, {kG3, 0, 3}, {kB1, 0, 4},
                                {kB3, 1, 1}, {kB2, 0, 3}, {kR2, 0, 5}, {kR3, 0, 5}}},
    {2, true, 5, 8, {5, 6, 5}, {{kR0, 0, 7}, {kB3, 0, 0}, {kB2, 4, 4}, {kG0, 0, 7}, {kG2, 5, 4}, {kB0, 0, 7}, {kG3, 5, 5},
                                {kB3, 4, 4}, {kR1, 0, 4}, {kG3, 4, 4}, {kG2, 0, 3}, {kG1, 0, 5}, {kG3, 0, 3}, {kB1, 0, 4},
                                {kB3, 1, 1}, {kB2, 0, 3}, {kR2, 0, 4}, {kB3, 2, 2}, {kR3, 0, 4}, {kB3, 3, 3}}},
    {2, true, 5, 8, {5, 5, 6}, {{kR0, 0, 7}, {kB3, 1, 1}, {kB2, 4, 4}, {kG0, 0, 7}, {kB2, 5, 5}, {kG2, 4, 4}, {kB0, 0, 7},
                                {kB3, 5, 4}, {kR1, 0, 4}, {kG3, 4, 4}, {kG2, 0, 3}, {kG1, 0, 4}, {kB3, 0, 0}, {kG3, 0, 3},
                                {kB1, 0, 5}, {kB2, 0, 3}, {kR2, 0, 4}, {kB3, 2, 2}, {kR3, 0, 4}, {kB3, 3, 3}}},
    {2, false, 5, 6, {6, 6, 6}, {{kR0, 0, 5}, {kG3, 4, 4}, {kB3, 0, 1}, {kB2, 4, 4}, {kG0, 0, 5}, {kG2, 5, 5}, {kB2, 5, 5},
                                 {kB3, 2, 2}, {kG2, 4, 4}, {kB0, 0, 5}, {kG3, 5, 5}, {kB3, 3, 3}, {kB3, 5, 4}, {kR1, 0, 5},
                                 {kG2, 0, 3}, {kG1, 0, 5}, {kG3, 0, 3}, {kB1, 0, 5}, {kB2, 0, 3}, {kR2, 0, 5}, {kR3, 0, 5}}},
    {1, false, 0, 10, {10, 10, 10}, {{kR0, 0, 9}, {kG0, 0, 9}, {kB0, 0, 9}, {kR1, 0, 9}, {kG1, 0, 9}, {kB1, 0, 9}}},
    {1, true, 0, 11, {9, 9, 9}, {{kR0, 0, 9}, {kG0, 0, 9}, {kB0, 0, 9}, {kR1, 0, 8}, {kR0, 10, 10}, {kG1, 0, 8},
                                 {kG0, 10, 10}, {kB1, 0, 8}, {kB0, 10, 10}}},
    {1, true, 0, 12, {8, 8, 8}, {{kR0, 0, 9}, {kG0, 0, 9}, {kB0, 0, 9}, {kR1, 0, 7}, {kR0, 11, 10}, {kG1, 0, 7},
                                 {kG0, 11, 10}, {kB1, 0, 7}, {kB0, 11, 10}}},
    {1, true, 0, 16, {4, 4, 4}, {{kR0, 0, 9}, {kG0, 0, 9}, {kB0, 0, 9}, {kR1, 0, 3}, {kR0, 15, 10}, {kG1, 0, 3},
                                 {kG0, 15, 10}, {kB1, 0, 3}, {kB0, 15, 10}}},
};

uint16_t SignExtend(uint16_t v, int bits) {
  int x = v;
  if ((x & (1 << (bits - 1))) != 0) x |= -1 << bits;
  return static_cast<uint16_t>(x);
}

// An endpoint widened to 16 bits (unsigned) or 15 bits and a sign, as Pillow's bc6_unquantize.
int Unquantize(uint16_t v, int bits, bool is_signed) {
  if (!is_signed) {
    const int x = v;
    if (bits >= 15 || x == 0) return x;
    if (x == (1 << bits) - 1) return 0xffff;
    return ((x << 15) + 0x4000) >> (bits - 1);
  }
  int x = static_cast<int16_t>(v);
  if (bits >= 16) return x;
  const bool negative = x < 0;
  if (negative) x = -x;
  if (x != 0) x = x >= (1 << (bits - 1)) - 1 ? 0x7fff : ((x << 15) + 0x4000) >> (bits - 1);
  return negative ? -x : x;
}

// A half float (finite or infinite: the values here never make a NaN) as a float.
float HalfToFloat(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float f = exponent == 0x1f ? INFINITY
            : exponent == 0  ? std::ldexp(static_cast<float>(mantissa), -24)
                             : std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return (h & 0x8000) != 0 ? -f : f;
}

// An interpolated value scaled to a half float (31/32 of the range, as the specification's
// finalisation), then clamped to 0..1 and truncated to a byte.
uint8_t Finish(int v, bool is_signed) {
  uint16_t h;
  if (is_signed) {
    h = v < 0 ? static_cast<uint16_t>(0x8000 | (((-v) * 31) / 32)) : static_cast<uint16_t>((v * 31) / 32);
  } else {
    h = static_cast<uint16_t>((v * 31) / 64);
  }
  const float f = HalfToFloat(h);
  if (f < 0.0f) return 0;
  if (f > 1.0f) return 255;
  return static_cast<uint8_t>(f * 255.0f);
}

}  // namespace

void DecodeBc6hBlock(const uint8_t* block, bool is_signed, std::array<uint8_t, 48>& rgb) {
  const int code = block[0] & 0x1f;
  int mode = 0, at = 5, index_bits = 3;
  if ((code & 3) < 2) {
    mode = code & 3;
    at = 2;
  } else if ((code & 3) == 2) {
    mode = 2 + (code >> 2);
  } else {
    mode = 10 + (code >> 2);
    index_bits = 4;
  }
  if (mode >= 14) {  // a reserved mode: Pillow gives black
    rgb.fill(0);
    return;
  }
  const Bc6Mode& m = kBc6Modes[mode];
  uint16_t e[12] = {};
  for (const Field& f : m.fields) {
    if (f.endpoint == kR0 && f.last == 0) break;  // past a shorter layout's end: no layout has r0[0] alone
    const int step = f.first <= f.last ? 1 : -1;
    for (int b = f.first;; b += step) {
      e[f.endpoint] = static_cast<uint16_t>(e[f.endpoint] | (Bits(block, at++, 1) << b));
      if (b == f.last) break;
    }
  }
  const uint32_t partition = Bits(block, at, m.partition_bits);
  at += m.partition_bits;
  const int endpoints = m.subsets == 2 ? 12 : 6;
  if (is_signed) {
    for (int c = 0; c < 3; ++c) e[c] = SignExtend(e[c], m.endpoint_bits);
  }
  if (is_signed || m.deltas) {
    for (int i = 3; i < endpoints; ++i) e[i] = SignExtend(e[i], m.delta_bits[i % 3]);
  }
  if (m.deltas) {
    const int mask = (1 << m.endpoint_bits) - 1;
    for (int i = 3; i < endpoints; ++i) e[i] = static_cast<uint16_t>((e[i] + e[i % 3]) & mask);
  }
  int u[12];
  for (int i = 0; i < endpoints; ++i) u[i] = Unquantize(e[i], m.endpoint_bits, is_signed);
  const uint8_t* weights = Weights(index_bits);
  for (int i = 0; i < 16; ++i) {
    const int s = Subset(m.subsets, partition, i) * 6;
    const bool anchor = i == 0 || (m.subsets == 2 && i == kAnchorOfTwo[partition]);
    const int bits = index_bits - (anchor ? 1 : 0);
    const int w = weights[Bits(block, at, bits)];
    at += bits;
    for (int c = 0; c < 3; ++c) {
      const int v = (u[s + c] * (64 - w) + u[s + 3 + c] * w) >> 6;
      rgb[static_cast<size_t>(3 * i + c)] = Finish(v, is_signed);
    }
  }
}

}  // namespace vit::image
