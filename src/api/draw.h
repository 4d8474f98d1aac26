// Drawing on 8-bit RGB images for the pictures the library writes (attention heads, confusion
// matrices): filled rectangles and text. Text is set in DejaVu Sans through FreeType, from
// $VIT_FONT when set, else Debian's fonts-dejavu-core; without a readable font, text is left out and
// TextWidth answers 0, so a picture is still made.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "vit/image.h"

namespace vit::draw {

using Color = std::array<uint8_t, 3>;

Image Blank(int width, int height, Color fill = {255, 255, 255});
void FillRect(Image& image, int x, int y, int width, int height, Color color);

// Pixels the text spans at `pixel_size` (the font's em height).
int TextWidth(const std::string& text, int pixel_size);
// Draws UTF-8 `text` with its baseline at y, starting at x, clipped to the image. `rotate` draws it
// running upwards (90 degrees counter-clockwise), starting at (x, y) with the baseline along x.
void Text(Image& image, const std::string& text, int x, int y, int pixel_size, Color color, bool rotate = false);
// Whether a font was found (text is drawn).
bool HasFont();

}  // namespace vit::draw
