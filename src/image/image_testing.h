// Encoded test pictures made in memory with the same Debian libraries the decoders use (libpng,
// libjpeg-turbo, libwebp) or written by hand (BMP, GIF), for the unit tests of src/image.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

#include "vit/error.h"
#include "vit/image.h"

namespace vit::image::testing {

// DecodeImage's message for `bytes` read as the file `name`, or "" when it decodes them.
inline std::string DecodeRefusal(const std::vector<uint8_t>& bytes, const std::string& name) {
  try {
    DecodeImage(bytes, name);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

inline std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng() & 0xFF);
  return v;
}

// A PNG of `samples` (rows packed at the given bit depth's natural width: one byte per sample for
// depths <= 8, two big-endian bytes for 16).
inline std::vector<uint8_t> EncodePng(int width, int height, int color_type, int bit_depth,
                                      const std::vector<uint8_t>& samples, const std::vector<png_color>& palette = {},
                                      bool interlaced = false) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("libpng write failed");
  }
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, size_t n) {
        auto* v = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(p));
        v->insert(v->end(), data, data + n);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), bit_depth, color_type,
               interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  png_set_check_for_invalid_index(png, 0);  // tests write indices past a short palette on purpose
  png_write_info(png, info);
  if (bit_depth < 8) png_set_packing(png);
  const int channels = color_type == PNG_COLOR_TYPE_RGB         ? 3
                       : color_type == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                       : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                                                                 : 1;
  const size_t row = static_cast<size_t>(width) * channels * (bit_depth == 16 ? 2 : 1);
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  std::vector<uint8_t> copy = samples;
  for (int y = 0; y < height; ++y) rows[static_cast<size_t>(y)] = copy.data() + static_cast<size_t>(y) * row;
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// Encoder options beyond quality, for the JPEG features cameras use.
struct JpegOptions {
  bool progressive = false;
  bool arithmetic = false;
  int restart_rows = 0;          // restart marker every N MCU rows
  int h_sampling = 2;            // luma sampling factors (2, 2 is 4:2:0; 4, 1 is 4:1:1; 1, 2 is 4:4:0)
  int v_sampling = 2;
};

// A JPEG from 1 (grey), 3 (RGB) or 4 (CMYK, with libjpeg's Adobe marker) components.
inline std::vector<uint8_t> EncodeJpeg(int width, int height, int components, const std::vector<uint8_t>& samples,
                                       int quality = 90, bool progressive = false, const JpegOptions& more = {}) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (progressive || more.progressive) jpeg_simple_progression(&cinfo);
  cinfo.arith_code = more.arithmetic ? TRUE : FALSE;
  cinfo.restart_in_rows = more.restart_rows;
  if (components == 3) {
    cinfo.comp_info[0].h_samp_factor = more.h_sampling;
    cinfo.comp_info[0].v_samp_factor = more.v_sampling;
  }
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> copy = samples;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = copy.data() + static_cast<size_t>(cinfo.next_scanline) * width * components;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> out(buffer, buffer + size);
  free(buffer);
  return out;
}

// The samples libjpeg itself decodes from a JPEG, in the file's colour space (what Pillow reads).
inline std::vector<uint8_t> LibjpegSamples(const std::vector<uint8_t>& jpeg, int& components) {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, jpeg.data(), jpeg.size());
  jpeg_read_header(&cinfo, TRUE);
  components = cinfo.num_components;
  cinfo.out_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_start_decompress(&cinfo);
  std::vector<uint8_t> out(static_cast<size_t>(cinfo.output_width) * cinfo.output_height * components);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out.data() + static_cast<size_t>(cinfo.output_scanline) * cinfo.output_width * components;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return out;
}

// A JPEG with an APP1 Exif segment holding `orientation`, inserted after SOI.
inline std::vector<uint8_t> WithExifOrientation(const std::vector<uint8_t>& jpeg, int orientation) {
  const uint8_t tiff[] = {'I', 'I', 42, 0, 8, 0, 0, 0,                                 // header, IFD0 at 8
                          1, 0,                                                          // one entry
                          0x12, 0x01, 3, 0, 1, 0, 0, 0, static_cast<uint8_t>(orientation), 0, 0, 0,  // SHORT
                          0, 0, 0, 0};                                                   // no next IFD
  std::vector<uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff, tiff + sizeof(tiff));
  const size_t length = app1.size() - 2;
  app1[2] = static_cast<uint8_t>(length >> 8);
  app1[3] = static_cast<uint8_t>(length & 0xFF);
  // SOI, the new segment, then the rest (sized once: GCC 12 misreads growing a 2-byte vector).
  std::vector<uint8_t> out(jpeg.size() + app1.size());
  std::memcpy(out.data(), jpeg.data(), 2);
  std::memcpy(out.data() + 2, app1.data(), app1.size());
  std::memcpy(out.data() + 2 + app1.size(), jpeg.data() + 2, jpeg.size() - 2);
  return out;
}

inline std::vector<uint8_t> EncodeWebpLossless(int width, int height, const std::vector<uint8_t>& rgb) {
  uint8_t* out = nullptr;
  const size_t size = WebPEncodeLosslessRGB(rgb.data(), width, height, width * 3, &out);
  std::vector<uint8_t> v(out, out + size);
  WebPFree(out);
  return v;
}

inline void PutLe16(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}
inline void PutLe32(std::vector<uint8_t>& v, uint32_t x) {
  PutLe16(v, x & 0xFFFF);
  PutLe16(v, x >> 16);
}

// A bottom-up BITMAPINFOHEADER BMP: 24-bit from RGB, or 8-bit from indices with a palette.
inline std::vector<uint8_t> EncodeBmp(int width, int height, int bits, const std::vector<uint8_t>& pixels,
                                      const std::vector<uint8_t>& palette_rgb = {}, uint32_t compression = 0) {
  const size_t stride = ((static_cast<size_t>(width) * bits + 31) >> 3) & ~size_t{3};
  const size_t colors = palette_rgb.size() / 3;
  std::vector<uint8_t> v = {'B', 'M'};
  const uint32_t offset = static_cast<uint32_t>(14 + 40 + colors * 4);
  PutLe32(v, static_cast<uint32_t>(offset + stride * height));
  PutLe32(v, 0);
  PutLe32(v, offset);
  PutLe32(v, 40);
  PutLe32(v, static_cast<uint32_t>(width));
  PutLe32(v, static_cast<uint32_t>(height));
  PutLe16(v, 1);
  PutLe16(v, static_cast<uint32_t>(bits));
  PutLe32(v, compression);
  PutLe32(v, static_cast<uint32_t>(stride * height));
  PutLe32(v, 2835);
  PutLe32(v, 2835);
  PutLe32(v, static_cast<uint32_t>(colors));
  PutLe32(v, 0);
  for (size_t i = 0; i < colors; ++i) {
    v.push_back(palette_rgb[3 * i + 2]);
    v.push_back(palette_rgb[3 * i + 1]);
    v.push_back(palette_rgb[3 * i]);
    v.push_back(0);
  }
  for (int y = height - 1; y >= 0; --y) {
    std::vector<uint8_t> row(stride, 0);
    for (int x = 0; x < width; ++x) {
      if (bits == 24) {
        const uint8_t* p = pixels.data() + (static_cast<size_t>(y) * width + x) * 3;
        row[3 * x] = p[2];
        row[3 * x + 1] = p[1];
        row[3 * x + 2] = p[0];
      } else {
        row[static_cast<size_t>(x)] = pixels[static_cast<size_t>(y) * width + x];
      }
    }
    v.insert(v.end(), row.begin(), row.end());
  }
  return v;
}

// A GIF89a with one frame of 8-bit indices at (left, top), LZW with a clear code every 254 symbols
// so codes stay 9 bits wide. `transparent` < 0: no graphic control extension.
inline std::vector<uint8_t> EncodeGif(int screen_w, int screen_h, int left, int top, int width, int height,
                                      const std::vector<uint8_t>& indices, const std::vector<uint8_t>& palette_rgb,
                                      int transparent = -1) {
  std::vector<uint8_t> v = {'G', 'I', 'F', '8', '9', 'a'};
  PutLe16(v, static_cast<uint32_t>(screen_w));
  PutLe16(v, static_cast<uint32_t>(screen_h));
  const size_t colors = palette_rgb.size() / 3;
  int bits = 1;
  while ((size_t{1} << bits) < colors) ++bits;
  v.push_back(static_cast<uint8_t>(colors > 0 ? 0x80 | (bits - 1) : 0));
  v.push_back(0);
  v.push_back(0);
  if (colors > 0) {
    std::vector<uint8_t> table(size_t{3} << bits, 0);
    std::copy(palette_rgb.begin(), palette_rgb.end(), table.begin());
    v.insert(v.end(), table.begin(), table.end());
  }
  if (transparent >= 0) {
    const uint8_t gce[] = {0x21, 0xF9, 4, 1, 10, 0, static_cast<uint8_t>(transparent), 0};
    v.insert(v.end(), gce, gce + sizeof(gce));
  }
  v.push_back(0x2C);
  PutLe16(v, static_cast<uint32_t>(left));
  PutLe16(v, static_cast<uint32_t>(top));
  PutLe16(v, static_cast<uint32_t>(width));
  PutLe16(v, static_cast<uint32_t>(height));
  v.push_back(0);
  v.push_back(8);  // LZW minimum code size
  std::vector<uint32_t> codes = {256};
  int run = 0;
  for (const uint8_t i : indices) {
    codes.push_back(i);
    if (++run == 254) {
      codes.push_back(256);
      run = 0;
    }
  }
  codes.push_back(257);
  std::vector<uint8_t> packed;
  uint32_t acc = 0;
  int nbits = 0;
  for (const uint32_t c : codes) {
    acc |= c << nbits;
    nbits += 9;
    while (nbits >= 8) {
      packed.push_back(static_cast<uint8_t>(acc & 0xFF));
      acc >>= 8;
      nbits -= 8;
    }
  }
  if (nbits > 0) packed.push_back(static_cast<uint8_t>(acc));
  for (size_t i = 0; i < packed.size(); i += 255) {
    const size_t n = std::min<size_t>(255, packed.size() - i);
    v.push_back(static_cast<uint8_t>(n));
    v.insert(v.end(), packed.begin() + static_cast<std::ptrdiff_t>(i), packed.begin() + static_cast<std::ptrdiff_t>(i + n));
  }
  v.push_back(0);
  v.push_back(0x3B);
  return v;
}

}  // namespace vit::image::testing
