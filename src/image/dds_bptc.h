// BPTC blocks (BC6H and BC7, ARB_texture_compression_bptc) decoded to 8-bit RGB as Pillow 9.4's BCn
// decoder does it, including where it departs from the specification: a BC7 block whose first byte is
// 0 is opaque black, a BC6H block of a reserved mode is black, BC6H deltas are masked to the endpoint
// precision without sign-extending the sum, and half floats are clamped to 0..1 and truncated to bytes.
#pragma once

#include <array>
#include <cstdint>

namespace vit::image {

// One 16-byte block's 16 pixels, row by row, three bytes each (the alpha convert("RGB") drops is not kept).
void DecodeBc7Block(const uint8_t* block, std::array<uint8_t, 48>& rgb);
void DecodeBc6hBlock(const uint8_t* block, bool is_signed, std::array<uint8_t, 48>& rgb);

}  // namespace vit::image
