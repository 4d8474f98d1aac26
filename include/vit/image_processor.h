// ViTImageProcessor semantics: resize (Pillow-exact) -> rescale -> normalize -> [B,3,H,W] float32.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "vit/image.h"
#include "vit/tensor.h"

namespace vit {

// Fields spelled as preprocessor_config.json; defaults are ViTImageProcessor's.
struct ImageProcessorConfig {
  bool do_resize = true;
  int height = 224;
  int width = 224;
  int resample = 2;  // PIL: NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<float, 3> image_mean{0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std{0.5f, 0.5f, 0.5f};
  bool do_convert_rgb = true;
};

class ImageProcessor {
 public:
  ImageProcessor() = default;
  explicit ImageProcessor(ImageProcessorConfig config) : config_(config) {}
  // Reads dir/preprocessor_config.json (legacy and explicit forms); defaults when the file is absent.
  static ImageProcessor FromPretrained(const std::filesystem::path& dir);
  static ImageProcessor FromJson(std::string_view json, const std::string& name = "preprocessor_config.json");

  const ImageProcessorConfig& config() const { return config_; }

  // [B,3,H,W] float32, bit-identical to transformers' PIL path. Runs the images on all threads.
  Tensor Preprocess(std::span<const Image> images) const;
  // One image into out[3*H*W] (H, W from the config, or the image's own size without do_resize).
  void PreprocessInto(const Image& image, float* out) const;

  // Decode and preprocess in one call: PreprocessInto(DecodeImage(bytes, name, options)) bit for bit,
  // as [3,H,W]. Faster and lighter for large JPEGs, whose rows go from libjpeg straight into the resize
  // without the full-size picture ever being held. Single-threaded: callers spread images over threads.
  Tensor PreprocessEncoded(std::span<const uint8_t> bytes, const std::string& name = "<memory>",
                           const DecodeOptions& options = {}) const;
  // The same from a file, with LoadImage's errors.
  Tensor PreprocessFile(const std::filesystem::path& path, const DecodeOptions& options = {}) const;

 private:
  ImageProcessorConfig config_;
};

}  // namespace vit
