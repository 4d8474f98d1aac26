// Decoded images. Every decoder returns the picture converted to 8-bit RGB exactly as Pillow's
// Image.convert("RGB") would, which is what ViTImageProcessor feeds to its resize.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace vit {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // height * width * 3, interleaved, row-major
};

struct DecodeOptions {
  // ViTImageProcessor ignores EXIF orientation; transformers' pipelines apply ImageOps.exif_transpose.
  bool exif_transpose = false;
};

// Detects the format from the bytes. Throws vit::Error naming `name` and the reason for corrupt,
// truncated, unsupported or over-large (Pillow's decompression-bomb limit) images.
Image DecodeImage(std::span<const uint8_t> bytes, const std::string& name = "<memory>",
                  const DecodeOptions& options = {});
Image LoadImage(const std::filesystem::path& path, const DecodeOptions& options = {});

// 8-bit RGB PNG through libpng. SavePng writes `path` (vit::Error(kIo) naming it on failure).
std::vector<uint8_t> EncodePng(const Image& image);
void SavePng(const Image& image, const std::filesystem::path& path);

}  // namespace vit
