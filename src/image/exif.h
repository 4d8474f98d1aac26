// EXIF orientation (tag 0x0112) and ImageOps.exif_transpose on RGB pictures.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "vit/image.h"

namespace vit::image {

// The orientation in an EXIF block as Pillow's Image.Exif.load reads it: an optional "Exif\0\0" prefix,
// then a TIFF header and IFD0. Returns 1 (no change) when the block is malformed, the tag is missing,
// or its value is not a single integer in 1..8.
int ExifOrientation(std::span<const uint8_t> exif);

// What Pillow's Image.Exif.load does with the block (ImageOps.exif_transpose calls it through
// getexif()). Once an "Exif\0\0" prefix is dropped, a block that is not empty has to start with an
// 8-byte classic TIFF header (II*\0, MM\0*, or the swapped II\0* and MM*\0 that Pillow also accepts).
// One that does not start with a TIFF magic at all raises SyntaxError; a BigTIFF header, or a classic
// one cut before 8 bytes, raises struct.error (the first-IFD offset is unpacked from too few bytes).
enum class ExifLoad { kOk, kSyntaxError, kStructError };
ExifLoad PillowExifLoad(std::span<const uint8_t> exif);
inline bool ExifLoadRaises(std::span<const uint8_t> exif) { return PillowExifLoad(exif) != ExifLoad::kOk; }

// Whether JpegImagePlugin.APP's look for a dpi in EXIF raises where it does not catch: with the block
// loaded (ImageFileDirectory_v2.load: the last of a repeated tag kept, tags of unknown types and empty
// ones skipped, the walk stopped by data it cannot read), a ResolutionUnit present and an XResolution
// that Python cannot index twice (float(x[0]) / x[1]): one BYTE or UNDEFINED byte, or ASCII text that
// is empty or a single digit once a trailing NUL is dropped. Such a file Image.open refuses.
bool PillowJpegDpiRaises(std::span<const uint8_t> exif);

// Python's bytes.fromhex (whitespace allowed between pairs only); false where it raises ValueError.
bool FromHex(std::string_view text, std::vector<uint8_t>& out);

// Pillow's XMP fallback: the first `tiff:Orientation="N"` or `<tiff:Orientation>N`, 1 when absent.
int XmpOrientation(std::string_view xmp);

// ImageOps.exif_transpose: orientation 2..8 flips/rotates, anything else leaves the picture as is.
Image ApplyOrientation(Image image, int orientation);

}  // namespace vit::image
