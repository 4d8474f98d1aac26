// EncodePng, SavePng: 8-bit RGB images to PNG through libpng, in memory (the server answers with the
// bytes) or to a file.
#include <png.h>

#include <csetjmp>
#include <fstream>
#include <string>
#include <vector>

#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

void AppendBytes(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

void NoFlush(png_structp) {}

}  // namespace

std::vector<uint8_t> EncodePng(const Image& image) {
  if (image.width < 1 || image.height < 1 ||
      image.rgb.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3)
    throw Error("PNG: the image must be at least 1x1 with width*height*3 bytes, got " + std::to_string(image.width) +
                    "x" + std::to_string(image.height) + " and " + std::to_string(image.rgb.size()) + " bytes",
                ErrorKind::kInvalidArgument);
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw Error("PNG: libpng failed to encode the image", ErrorKind::kInternal);
  }
  png_set_write_fn(png, &out, AppendBytes, NoFlush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t stride = static_cast<size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y)
    png_write_row(png, const_cast<png_bytep>(image.rgb.data() + static_cast<size_t>(y) * stride));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

void SavePng(const Image& image, const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = EncodePng(image);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error(path.string() + ": cannot create the PNG file", ErrorKind::kIo);
  file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) throw Error(path.string() + ": cannot write the PNG file", ErrorKind::kIo);
}

}  // namespace vit
