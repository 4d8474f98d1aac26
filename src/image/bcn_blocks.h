// The 4x4 blocks of S3TC/BCn textures that more than one format carries (DDS, BLP, FTEX): the colour
// half of BC1-BC3 and the 3-bit channel block of BC3 alpha, BC4 and BC5.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace vit::image {

struct Rgba {
  uint8_t r = 0, g = 0, b = 0, a = 0;
};

// How a 5:6:5 endpoint becomes 8 bits: Pillow's C decoder (BcnDecode.c) repeats the top bits, the
// Python one in BlpImagePlugin only shifts.
enum class Widen565 { kRepeatTopBits, kShift };

// The colour half of a BC1/BC2/BC3 block, 16 pixels in row order. The thirds and halves truncate;
// `always_four` takes the four-colour branch whatever the endpoints' order (BC2 and BC3); in the
// three-colour branch index 3 is transparent black.
void ColourBlock(const uint8_t* src, bool always_four, Widen565 widen, std::array<Rgba, 16>& out);

// An 8-byte BC3 alpha / BC4 / BC5 channel block: two endpoints and 3-bit indices. A signed (BC5S)
// endpoint e is first mapped to (e + 255) / 2, as Pillow 9.4 does, before the endpoints are compared.
void ChannelBlock(const uint8_t* src, bool sign, std::array<uint8_t, 16>& out);

}  // namespace vit::image
