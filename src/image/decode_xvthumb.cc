// XV thumbnails ("P7 332") by hand, as Pillow 9.4's XVThumbImagePlugin reads them: a text header of
// comment lines and a size line, then one byte a pixel through XV's fixed 3-3-2 palette.
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"
#include "image/python_text.h"

namespace vit::image {
namespace {

// Python's readline: up to and including the next newline, or to the end.
std::string_view ReadLine(std::span<const uint8_t> bytes, size_t& at) {
  const size_t start = at;
  while (at < bytes.size() && bytes[at++] != '\n') {
  }
  return {reinterpret_cast<const char*>(bytes.data()) + start, at - start};
}

}  // namespace

bool LooksLikeXvThumb(std::span<const uint8_t> bytes) {
  return bytes.size() >= 6 && std::memcmp(bytes.data(), "P7 332", 6) == 0;
}

Decoded DecodeXvThumb(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikeXvThumb(bytes)) ctx.Fail("not an XV thumbnail");
  size_t at = 6;
  ReadLine(bytes, at);  // the rest of the magic line
  std::string_view line;
  do {
    line = ReadLine(bytes, at);
    if (line.empty()) ctx.Fail("truncated XV thumbnail: the file ends inside its header");
  } while (line[0] == '#');
  const auto words = PythonSplit(line);
  if (words.size() < 2) ctx.Fail("XV thumbnail size line holds no width and height");
  const auto width = PythonInt(words[0]), height = PythonInt(words[1]);
  if (!width || !height) ctx.Fail("XV thumbnail size line is not two numbers");
  ctx.CheckSize(*width, *height);
  const auto w = static_cast<size_t>(*width), h = static_cast<size_t>(*height);
  if ((bytes.size() - at) / w < h) ctx.Fail("truncated XV thumbnail: the pixels end before the last row");
  Palette palette;
  for (int r = 0, i = 0; r < 8; ++r) {
    for (int g = 0; g < 8; ++g) {
      for (int b = 0; b < 4; ++b, ++i) {
        palette.Set(i, static_cast<uint8_t>(r * 255 / 7), static_cast<uint8_t>(g * 255 / 7),
                    static_cast<uint8_t>(b * 255 / 3));
      }
    }
  }
  Decoded decoded;
  decoded.image = AllocateImage(ctx, *width, *height);
  PaletteRowToRgb(bytes.data() + at, w * h, palette, decoded.image.rgb.data());
  return decoded;
}

}  // namespace vit::image
