// WriteConfusionMatrixPng: cells shaded by the row-normalised rate (white 0 -> dark blue 1), counts
// written in the cells and ids along the axes in a built-in 3x5 digit font (no font dependency).
#include <png.h>

#include <algorithm>
#include <cstdio>
#include <csetjmp>
#include <string>
#include <vector>

#include "vit/error.h"
#include "vit/probe.h"

namespace vit {
namespace {

// Rows of each digit, 3 bits wide, most significant bit leftmost.
constexpr unsigned char kDigits[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
};
constexpr int kGlyphScale = 2;
constexpr int kGlyphWidth = 3 * kGlyphScale + kGlyphScale;  // with spacing
constexpr int kGlyphHeight = 5 * kGlyphScale;
constexpr int kMaxSide = 4096;

struct Canvas {
  int width, height;
  std::vector<unsigned char> rgb;
  Canvas(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3, 255) {}
  void Fill(int x0, int y0, int w, int h, const unsigned char color[3]) {
    for (int y = std::max(0, y0); y < std::min(height, y0 + h); ++y)
      for (int x = std::max(0, x0); x < std::min(width, x0 + w); ++x)
        std::copy_n(color, 3, &rgb[(static_cast<size_t>(y) * width + x) * 3]);
  }
  // Text centred on (cx, cy).
  void Number(const std::string& text, int cx, int cy, const unsigned char color[3]) {
    const int w = static_cast<int>(text.size()) * kGlyphWidth - kGlyphScale;
    int x = cx - w / 2;
    const int y = cy - kGlyphHeight / 2;
    for (char ch : text) {
      const unsigned char* glyph = kDigits[ch - '0'];
      for (int row = 0; row < 5; ++row)
        for (int col = 0; col < 3; ++col)
          if (glyph[row] & (4 >> col)) Fill(x + col * kGlyphScale, y + row * kGlyphScale, kGlyphScale, kGlyphScale, color);
      x += kGlyphWidth;
    }
  }
};

int TextWidth(int64_t value) { return static_cast<int>(std::to_string(value).size()) * kGlyphWidth; }

void WritePng(const Canvas& canvas, const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw Error(path.string() + ": cannot create the PNG file", ErrorKind::kIo);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
    throw Error(path.string() + ": libpng failed to write the confusion matrix", ErrorKind::kIo);
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, static_cast<png_uint_32>(canvas.width), static_cast<png_uint_32>(canvas.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < canvas.height; ++y)
    png_write_row(png, canvas.rgb.data() + static_cast<size_t>(y) * canvas.width * 3);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(file) != 0) throw Error(path.string() + ": cannot finish the PNG file", ErrorKind::kIo);
}

}  // namespace

void WriteConfusionMatrixPng(const ClassificationReport& report, const std::filesystem::path& path) {
  const auto k = static_cast<int>(report.confusion.size());
  if (k == 0) throw Error("confusion matrix: no classes", ErrorKind::kInvalidArgument);
  int64_t largest = 0;
  for (const auto& row : report.confusion)
    for (int64_t v : row) largest = std::max(largest, v);
  const int margin = TextWidth(k - 1) + 12;
  int cell = std::max({28, TextWidth(largest) + 8, TextWidth(k - 1) + 8});
  cell = std::max(2, std::min(cell, (kMaxSide - margin) / k));
  const bool with_counts = cell >= TextWidth(largest) + 4 && cell >= kGlyphHeight + 4;
  const bool with_ids = cell >= TextWidth(k - 1) + 2;
  Canvas canvas(margin + k * cell + 1, margin + k * cell + 1);

  const unsigned char black[3] = {0, 0, 0}, white[3] = {255, 255, 255}, grid[3] = {200, 200, 200};
  canvas.Fill(margin, margin, k * cell + 1, k * cell + 1, grid);
  for (int r = 0; r < k; ++r) {
    int64_t row_total = 0;
    for (int64_t v : report.confusion[static_cast<size_t>(r)]) row_total += v;
    for (int c = 0; c < k; ++c) {
      const int64_t count = report.confusion[static_cast<size_t>(r)][static_cast<size_t>(c)];
      const double f = row_total ? static_cast<double>(count) / static_cast<double>(row_total) : 0.0;
      const unsigned char color[3] = {static_cast<unsigned char>(255 - f * (255 - 8)),
                                      static_cast<unsigned char>(255 - f * (255 - 48)),
                                      static_cast<unsigned char>(255 - f * (255 - 107))};
      const int x = margin + c * cell + 1, y = margin + r * cell + 1;
      canvas.Fill(x, y, cell - 1, cell - 1, color);
      if (with_counts) canvas.Number(std::to_string(count), x + cell / 2, y + cell / 2, f > 0.5 ? white : black);
    }
    if (with_ids) {
      canvas.Number(std::to_string(r), margin / 2, margin + r * cell + cell / 2, black);  // true id, left
      canvas.Number(std::to_string(r), margin + r * cell + cell / 2, margin / 2, black);  // predicted id, top
    }
  }
  WritePng(canvas, path);
}

}  // namespace vit
