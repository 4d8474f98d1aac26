// SGI by hand, following Pillow 9.4's SgiImagePlugin and SgiRleDecode.c: grey, RGB and RGBA at 8 or
// 16 bits per sample (the high byte kept), planar and bottom-up, raw or RLE.
//
// Pillow's RLE reader decides the pixels: it reads the whole file after the 512-byte header, needs the
// row offset and length tables to fit in it, decodes every row of every channel from its offset (packets
// past the end of the file are refused, a length past it is not), keeps
// in its row buffer whatever a short row leaves unwritten (the previous row's samples), and stops
// quietly, leaving the rows not reached black, at a row whose last byte is not the end-of-row 0.
#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"

namespace vit::image {
namespace {

uint32_t U16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t U32(const uint8_t* p) { return (U16(p) << 16) | U16(p + 2); }

constexpr size_t kHeader = 512;

enum class Row { kDone, kStop, kOverrun };

// SgiRleDecode.c's expandrow (bpc 1) and expandrow2 (bpc 2): at most n packets from index `at` of
// `data` into every z-th sample of dest. A 16-bit packet's header is a word whose low byte counts.
Row ExpandRow(uint8_t* dest, const std::vector<uint8_t>& data, size_t at, size_t n, size_t z, size_t xsize,
              size_t bpc) {
  const size_t last = data.size() - 1;  // Pillow's end_of_buffer is the last byte, and its checks are strict
  size_t x = 0;
  for (; n > 0; --n) {
    if (at + bpc - 1 > last) return Row::kOverrun;
    const uint8_t pixel = data[at + bpc - 1];
    at += bpc;
    if (n == 1 && pixel != 0) return Row::kStop;
    const size_t count = pixel & 0x7F;
    if (count == 0) return Row::kDone;
    if (x + count > xsize) return Row::kOverrun;
    x += count;
    if ((pixel & 0x80) != 0) {
      if (at + bpc * count > last) return Row::kOverrun;
      for (size_t i = 0; i < count; ++i, dest += z * bpc, at += bpc) std::memcpy(dest, &data[at], bpc);
    } else {
      if (at + bpc - 1 + (bpc == 2 ? 1 : 0) > last) return Row::kOverrun;
      for (size_t i = 0; i < count; ++i, dest += z * bpc) std::memcpy(dest, &data[at], bpc);
      at += bpc;
    }
  }
  return Row::kDone;
}

}  // namespace

bool LooksLikeSgi(std::span<const uint8_t> bytes) {
  return bytes.size() >= 12 && U16(bytes.data()) == 474;
}

Decoded DecodeSgi(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikeSgi(bytes)) ctx.Fail("not an SGI file");
  const uint8_t* s = bytes.data();
  const int compression = s[2], bpc = s[3];
  const uint32_t dimension = U16(s + 4), zsize = U16(s + 10);
  const int64_t width = U16(s + 6), height = U16(s + 8);
  size_t bands = 0;
  if (bpc == 1 || bpc == 2) {
    if ((dimension == 1 || dimension == 2) && zsize == 1) bands = 1;
    if (dimension == 3 && (zsize == 3 || zsize == 4)) bands = zsize;
  }
  if (bands == 0) ctx.Fail("unsupported SGI image mode", ErrorKind::kUnsupported);
  if (compression != 0 && compression != 1) {
    ctx.Fail("unsupported SGI compression (" + std::to_string(compression) + ")", ErrorKind::kUnsupported);
  }
  ctx.CheckSize(width, height);
  const auto w = static_cast<size_t>(width);
  const auto h = static_cast<size_t>(height);

  if (compression == 0) {
    // One plane per band, each bottom-up; 16-bit samples keep their high byte.
    const size_t plane = w * h * static_cast<size_t>(bpc);
    if (bytes.size() < kHeader || (bytes.size() - kHeader) / bands < plane) {
      ctx.Fail("truncated SGI: the pixel data ends before the last plane");
    }
    Decoded decoded;
    decoded.image = AllocateImage(ctx, width, height);
    uint8_t* out = decoded.image.rgb.data();
    for (size_t row = 0; row < h; ++row) {
      const size_t y = h - 1 - row;
      for (size_t c = 0; c < 3; ++c) {
        const size_t band = bands == 1 ? 0 : c;
        const uint8_t* in = bytes.data() + kHeader + band * plane + row * w * static_cast<size_t>(bpc);
        for (size_t x = 0; x < w; ++x) out[(y * w + x) * 3 + c] = in[x * static_cast<size_t>(bpc)];
      }
    }
    return decoded;
  }

  const size_t buffer_size = bytes.size() > kHeader ? bytes.size() - kHeader : 0;
  const size_t entries = bands * h;
  if (buffer_size / 8 < entries) ctx.Fail("truncated SGI: the file ends inside its RLE row tables");
  const std::vector<uint8_t> data(bytes.begin() + kHeader, bytes.end());
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  std::memset(decoded.image.rgb.data(), 0, decoded.image.rgb.size());
  const auto sample = static_cast<size_t>(bpc);
  std::vector<uint8_t> line(w * bands * sample, 0);
  for (size_t row = 0; row < h; ++row) {
    for (size_t c = 0; c < bands; ++c) {
      const uint32_t start = U32(data.data() + 4 * (row + c * h));
      const uint32_t length = U32(data.data() + 4 * (entries + row + c * h));
      // Pillow 9.4 checks the offset against the header only; the length merely bounds the packets.
      if (start < kHeader) ctx.Fail("SGI RLE row " + std::to_string(row) + " starts inside the header");
      // expandrow takes the length as an int: from 2^31 up it is negative and no packet is read.
      const size_t packets = length >= 0x80000000u ? 0 : length;
      const Row r = ExpandRow(line.data() + c * sample, data, start - kHeader, packets, bands, w, sample);
      if (r == Row::kOverrun) ctx.Fail("SGI RLE row " + std::to_string(row) + " overruns its row or the file");
      if (r == Row::kStop) return decoded;
    }
    uint8_t* out = decoded.image.rgb.data() + (h - 1 - row) * w * 3;
    for (size_t x = 0; x < w; ++x) {
      for (size_t c = 0; c < 3; ++c) out[3 * x + c] = line[(x * bands + (bands == 1 ? 0 : c)) * sample];
    }
  }
  return decoded;
}

}  // namespace vit::image
