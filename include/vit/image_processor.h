// transformers' image processors of the ViT family (ViTImageProcessor, BitImageProcessor for DINOv2,
// CLIPImageProcessor, SiglipImageProcessor, DeiTImageProcessor) on their PIL path:
// resize (Pillow-exact) -> centre crop -> rescale -> normalize -> [B,3,H,W] float32.
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
  // The class preprocessor_config.json names ("ViTImageProcessor" when it names none).
  std::string image_processor_type = "ViTImageProcessor";
  bool do_resize = true;
  // size {"shortest_edge": n} (BitImageProcessor, CLIPImageProcessor): n > 0 resizes the short side to n
  // and the long side to int(n * long / short); 0 resizes to height x width.
  int shortest_edge = 0;
  int height = 224;
  int width = 224;
  int resample = 2;  // PIL: NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<float, 3> image_mean{0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std{0.5f, 0.5f, 0.5f};
  bool do_convert_rgb = true;
  // crop_size, after the resize: the centre crop_height x crop_width, zero-padded where the picture is smaller.
  bool do_center_crop = false;
  int crop_height = 224;
  int crop_width = 224;

  // The [H, W] the resize gives a picture of width x height (the picture's own size without do_resize).
  std::array<int, 2> ResizedSize(int image_width, int image_height) const;
  // The [H, W] of pixel_values for a picture of width x height.
  std::array<int, 2> OutputSize(int image_width, int image_height) const;
  // Whether every picture gives the same [H, W] (then OutputSize's arguments do not matter).
  bool FixedOutputSize() const { return do_center_crop || (do_resize && shortest_edge == 0); }
  // "BitImageProcessor: resize shortest_edge 256 BICUBIC, center_crop 224x224, ..." for `vit inspect`.
  std::string Describe() const;
  // The settings to give pixel_values of height x width from every picture: resize straight to that size,
  // no crop (`--image-size`).
  ImageProcessorConfig ResizedTo(int height, int width) const;
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
  // One image into out[3*H*W], [H, W] = config().OutputSize(image.width, image.height).
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
