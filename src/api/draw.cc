#include "api/draw.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace vit::draw {
namespace {

constexpr const char* kDefaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// One FreeType face for the process; FreeType faces are not thread-safe, so every use holds the mutex.
struct Font {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  std::mutex mutex;

  Font() {
    const char* env = std::getenv("VIT_FONT");
    const char* path = env && *env ? env : kDefaultFont;
    if (FT_Init_FreeType(&library) != 0) {
      library = nullptr;
      return;
    }
    if (FT_New_Face(library, path, 0, &face) != 0) face = nullptr;
  }
  ~Font() {
    if (face) FT_Done_Face(face);
    if (library) FT_Done_FreeType(library);
  }
};

Font& TheFont() {
  static Font font;
  return font;
}

std::vector<char32_t> Codepoints(const std::string& text) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (extra < 0 || i + static_cast<size_t>(extra) >= text.size()) {
      out.push_back(U'?');
      ++i;
      continue;
    }
    char32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + static_cast<size_t>(k)]) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(extra) + 1;
  }
  return out;
}

// The text as coverage (0-255), `ascent` rows above the baseline and `descent` below.
struct Mask {
  int width = 0, ascent = 0, descent = 0;
  std::vector<uint8_t> alpha;  // (ascent + descent) x width
};

Mask Render(const std::string& text, int pixel_size) {
  Mask mask;
  Font& font = TheFont();
  if (!font.face || pixel_size < 1) return mask;
  std::lock_guard lock(font.mutex);
  FT_Set_Pixel_Sizes(font.face, 0, static_cast<FT_UInt>(pixel_size));
  mask.ascent = static_cast<int>((font.face->size->metrics.ascender + 63) >> 6);
  mask.descent = static_cast<int>((-font.face->size->metrics.descender + 63) >> 6);
  const int height = mask.ascent + mask.descent;
  const std::vector<char32_t> codepoints = Codepoints(text);
  // Two passes: the width first, then the glyphs.
  for (int pass = 0; pass < 2; ++pass) {
    int pen = 0;
    for (char32_t cp : codepoints) {
      if (FT_Load_Char(font.face, cp, pass == 0 ? FT_LOAD_DEFAULT : FT_LOAD_RENDER) != 0) continue;
      const FT_GlyphSlot g = font.face->glyph;
      if (pass == 1) {
        const FT_Bitmap& bm = g->bitmap;
        for (unsigned row = 0; row < bm.rows; ++row) {
          const int y = mask.ascent - g->bitmap_top + static_cast<int>(row);
          if (y < 0 || y >= height) continue;
          for (unsigned col = 0; col < bm.width; ++col) {
            const int x = pen + g->bitmap_left + static_cast<int>(col);
            if (x < 0 || x >= mask.width) continue;
            uint8_t& a = mask.alpha[static_cast<size_t>(y) * static_cast<size_t>(mask.width) + static_cast<size_t>(x)];
            a = std::max(a, bm.buffer[static_cast<int>(row) * bm.pitch + static_cast<int>(col)]);
          }
        }
      }
      pen += static_cast<int>(g->advance.x >> 6);
    }
    if (pass == 0) {
      mask.width = pen;
      mask.alpha.assign(static_cast<size_t>(height) * static_cast<size_t>(std::max(pen, 0)), 0);
    }
  }
  return mask;
}

void Blend(Image& image, int x, int y, uint8_t alpha, Color color) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height || alpha == 0) return;
  uint8_t* p = &image.rgb[(static_cast<size_t>(y) * static_cast<size_t>(image.width) + static_cast<size_t>(x)) * 3];
  for (int c = 0; c < 3; ++c)
    p[c] = static_cast<uint8_t>((p[c] * (255 - alpha) + color[static_cast<size_t>(c)] * alpha + 127) / 255);
}

}  // namespace

Image Blank(int width, int height, Color fill) {
  Image image;
  image.width = width;
  image.height = height;
  image.rgb.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  for (size_t i = 0; i < image.rgb.size(); i += 3) std::copy(fill.begin(), fill.end(), image.rgb.begin() + static_cast<long>(i));
  return image;
}

void FillRect(Image& image, int x, int y, int width, int height, Color color) {
  for (int r = std::max(0, y); r < std::min(image.height, y + height); ++r)
    for (int c = std::max(0, x); c < std::min(image.width, x + width); ++c)
      std::copy(color.begin(), color.end(),
                image.rgb.begin() + static_cast<long>((static_cast<size_t>(r) * static_cast<size_t>(image.width) +
                                                       static_cast<size_t>(c)) * 3));
}

int TextWidth(const std::string& text, int pixel_size) { return Render(text, pixel_size).width; }

void Text(Image& image, const std::string& text, int x, int y, int pixel_size, Color color, bool rotate) {
  const Mask mask = Render(text, pixel_size);
  const int height = mask.ascent + mask.descent;
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < mask.width; ++c) {
      const uint8_t a = mask.alpha[static_cast<size_t>(r) * static_cast<size_t>(mask.width) + static_cast<size_t>(c)];
      const int dy = r - mask.ascent;  // below the baseline when positive
      if (rotate)
        Blend(image, x + dy, y - c, a, color);
      else
        Blend(image, x + c, y + dy, a, color);
    }
}

bool HasFont() { return TheFont().face != nullptr; }

}  // namespace vit::draw
