// The per-format decoders behind vit::DecodeImage, and what they share: the bytes, the name that every
// message starts with, and Pillow's size rules. Each decoder returns RGB as Pillow's
// Image.open(...).convert("RGB") would, and the EXIF orientation when asked for it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "vit/error.h"
#include "vit/image.h"

namespace vit::image {

enum class Format { kUnknown, kJpeg, kPng, kGif, kWebp, kBmp, kTiff };

// From the leading bytes only, as Pillow's _accept() checks do; the file name is never consulted.
Format SniffFormat(std::span<const uint8_t> bytes);
const char* FormatName(Format format);

// Pillow's Image.MAX_IMAGE_PIXELS is 89478485; Image.open raises DecompressionBombError above twice
// that (and only warns in between).
constexpr int64_t kMaxImagePixels = 2 * int64_t{89478485};

class DecodeContext {
 public:
  DecodeContext(std::span<const uint8_t> bytes, const std::string& name, bool want_orientation)
      : bytes_(bytes), name_(name), want_orientation_(want_orientation) {}

  std::span<const uint8_t> bytes() const { return bytes_; }
  const std::string& name() const { return name_; }
  bool want_orientation() const { return want_orientation_; }

  // Throws vit::Error("<name>: <reason>").
  [[noreturn]] void Fail(const std::string& reason, ErrorKind kind = ErrorKind::kInvalidInput) const;
  // Image.open's checks, made from the header before any pixel is decoded: a zero dimension is not an
  // image, and more than kMaxImagePixels pixels is refused as a decompression bomb.
  void CheckSize(int64_t width, int64_t height) const;

 private:
  std::span<const uint8_t> bytes_;
  const std::string& name_;
  bool want_orientation_;
};

struct Decoded {
  Image image;
  int orientation = 1;  // EXIF 0x0112 when asked for and present, else 1
};

Decoded DecodeJpeg(const DecodeContext& ctx);
Decoded DecodePng(const DecodeContext& ctx);
Decoded DecodeGif(const DecodeContext& ctx);
Decoded DecodeWebp(const DecodeContext& ctx);
Decoded DecodeBmp(const DecodeContext& ctx);
Decoded DecodeTiff(const DecodeContext& ctx);

// An Image of the given size with its RGB buffer allocated (uninitialised bytes are not a concern:
// every decoder writes every pixel).
Image AllocateImage(const DecodeContext& ctx, int64_t width, int64_t height);

}  // namespace vit::image
