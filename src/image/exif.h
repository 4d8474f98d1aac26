// EXIF orientation (tag 0x0112) and ImageOps.exif_transpose on RGB pictures.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "vit/image.h"

namespace vit::image {

// The orientation in an EXIF block as Pillow's Image.Exif.load reads it: an optional "Exif\0\0" prefix,
// then a TIFF header and IFD0. Returns 1 (no change) when the block is malformed, the tag is missing,
// or its value is not a single integer in 1..8.
int ExifOrientation(std::span<const uint8_t> exif);

// Pillow's XMP fallback: the first `tiff:Orientation="N"` or `<tiff:Orientation>N`, 1 when absent.
int XmpOrientation(std::string_view xmp);

// ImageOps.exif_transpose: orientation 2..8 flips/rotates, anything else leaves the picture as is.
Image ApplyOrientation(Image image, int orientation);

}  // namespace vit::image
