// The ViT family's image processors' preprocess on RGB pictures, in transformers' order and float arithmetic:
//   resize      PIL Image.resize((width, height), resample)          (image/resample.cc), to height x width
//               or, for size {"shortest_edge": n}, get_resize_output_image_size(default_to_square=False)
//   center_crop image_transforms.center_crop on the 8-bit picture: zero padding where it is too small
//   rescale     (image.astype(np.float64) * rescale_factor).astype(np.float32)
//   normalize   (image - np.float32(mean)) / np.float32(std), in float32
//   layout      channels first, [B, 3, H, W]
// The last three depend only on the channel and the 8-bit value, so they become a 3 x 256 table.
#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "core/threads.h"
#include "image/decoders.h"
#include "image/resample.h"
#include "image/streaming_resize.h"
#include "vit/error.h"
#include "vit/image_processor.h"

namespace vit {
namespace {

using ValueTable = std::array<std::array<float, 256>, 3>;

ValueTable MakeValueTable(const ImageProcessorConfig& c) {
  ValueTable table;
  for (size_t ch = 0; ch < 3; ++ch) {
    for (int v = 0; v < 256; ++v) {
      float x = c.do_rescale ? static_cast<float>(static_cast<double>(v) * c.rescale_factor) : static_cast<float>(v);
      if (c.do_normalize) x = (x - c.image_mean[ch]) / c.image_std[ch];
      table[ch][static_cast<size_t>(v)] = x;
    }
  }
  return table;
}

void CheckConfig(const ImageProcessorConfig& c) {
  if (c.do_resize && c.shortest_edge < 0) {
    throw Error("image processor: shortest_edge must be at least 1, got " + std::to_string(c.shortest_edge),
                ErrorKind::kInvalidArgument);
  }
  if (c.do_center_crop && (c.crop_height < 1 || c.crop_width < 1)) {
    throw Error("image processor: crop_size must be at least 1x1, got " + std::to_string(c.crop_height) + "x" +
                    std::to_string(c.crop_width),
                ErrorKind::kInvalidArgument);
  }
  if (c.do_resize && c.shortest_edge == 0 && (c.height < 1 || c.width < 1)) {
    throw Error("image processor: size must be at least 1x1, got " + std::to_string(c.height) + "x" +
                    std::to_string(c.width),
                ErrorKind::kInvalidArgument);
  }
  if (c.do_resize && !image::IsValidResample(c.resample)) {
    throw Error("image processor: resample " + std::to_string(c.resample) + " is not a PIL filter (0..5)",
                ErrorKind::kInvalidArgument);
  }
}

void CheckImage(const Image& image, const std::string& which) {
  if (image.width < 1 || image.height < 1 ||
      image.rgb.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3) {
    throw Error(which + ": " + std::to_string(image.width) + "x" + std::to_string(image.height) + " image with " +
                    std::to_string(image.rgb.size()) + " bytes is not a valid RGB picture",
                ErrorKind::kInvalidArgument);
  }
}

// RGB bytes, interleaved, to channel-first floats through the value table.
void WriteChannelsFirst(const uint8_t* pixels, size_t plane, const ImageProcessorConfig& config, float* out) {
  const ValueTable table = MakeValueTable(config);
  float* r = out;
  float* g = out + plane;
  float* b = out + 2 * plane;
  for (size_t i = 0; i < plane; ++i) {
    r[i] = table[0][pixels[3 * i]];
    g[i] = table[1][pixels[3 * i + 1]];
    b[i] = table[2][pixels[3 * i + 2]];
  }
}

// The resize's picture size, refused past what Pillow would allocate for one picture (a 1-pixel-wide
// strip's long side scaled up by the short side's factor).
std::array<int, 2> CheckedResizedSize(const ImageProcessorConfig& c, int width, int height) {
  const std::array<int, 2> hw = c.ResizedSize(width, height);
  constexpr int64_t kMaxPixels = int64_t{1} << 28;
  if (hw[0] < 1 || hw[1] < 1 || int64_t{hw[0]} * hw[1] > kMaxPixels) {
    throw Error("image processor: a " + std::to_string(width) + "x" + std::to_string(height) + " picture resizes to " +
                    std::to_string(hw[1]) + "x" + std::to_string(hw[0]) + ", more than 2^28 pixels",
                ErrorKind::kInvalidArgument);
  }
  return hw;
}

// center_crop on 8-bit RGB: out[y][x] = in[y + top][x + left], zero outside the picture, with top and left
// floored as Python's (orig - crop) // 2 (the padded case lands on the same offsets).
void CenterCrop(const uint8_t* in, int in_w, int in_h, uint8_t* out, int out_w, int out_h) {
  const auto floor_half = [](int d) { return d >= 0 ? d / 2 : -((-d + 1) / 2); };
  const int top = floor_half(in_h - out_h), left = floor_half(in_w - out_w);
  const int x0 = std::max(0, -left), x1 = std::min(out_w, in_w - left);
  const size_t out_row = static_cast<size_t>(out_w) * 3;
  for (int y = 0; y < out_h; ++y) {
    uint8_t* dst = out + static_cast<size_t>(y) * out_row;
    const int sy = y + top;
    if (sy < 0 || sy >= in_h || x0 >= x1) {
      std::memset(dst, 0, out_row);
      continue;
    }
    std::memset(dst, 0, static_cast<size_t>(x0) * 3);
    std::memcpy(dst + static_cast<size_t>(x0) * 3,
                in + (static_cast<size_t>(sy) * static_cast<size_t>(in_w) + static_cast<size_t>(x0 + left)) * 3,
                static_cast<size_t>(x1 - x0) * 3);
    std::memset(dst + static_cast<size_t>(x1) * 3, 0, static_cast<size_t>(out_w - x1) * 3);
  }
}

// The resized picture (w x h) through the crop and the value table into out.
void FinishFromResized(const ImageProcessorConfig& c, const uint8_t* pixels, int w, int h, float* out) {
  if (!c.do_center_crop || (w == c.crop_width && h == c.crop_height)) {
    WriteChannelsFirst(pixels, static_cast<size_t>(w) * static_cast<size_t>(h), c, out);
    return;
  }
  const size_t plane = static_cast<size_t>(c.crop_width) * static_cast<size_t>(c.crop_height);
  std::vector<uint8_t> cropped(plane * 3);
  CenterCrop(pixels, w, h, cropped.data(), c.crop_width, c.crop_height);
  WriteChannelsFirst(cropped.data(), plane, c, out);
}

}  // namespace

std::array<int, 2> ImageProcessorConfig::ResizedSize(int image_width, int image_height) const {
  if (!do_resize) return {image_height, image_width};
  if (shortest_edge <= 0) return {height, width};
  // get_resize_output_image_size(default_to_square=False): int(n * long / short) in Python floats; n * long
  // is exact in a double and the quotient correctly rounded, as Python's int / int is.
  const bool portrait = image_width <= image_height;
  const int short_side = portrait ? image_width : image_height, long_side = portrait ? image_height : image_width;
  const double scaled = static_cast<double>(shortest_edge) * static_cast<double>(long_side) / static_cast<double>(short_side);
  const int new_long = scaled >= 2147483647.0 ? 2147483647 : static_cast<int>(scaled);
  return portrait ? std::array<int, 2>{new_long, shortest_edge} : std::array<int, 2>{shortest_edge, new_long};
}

std::array<int, 2> ImageProcessorConfig::OutputSize(int image_width, int image_height) const {
  if (do_center_crop) return {crop_height, crop_width};
  return ResizedSize(image_width, image_height);
}

ImageProcessorConfig ImageProcessorConfig::ResizedTo(int new_height, int new_width) const {
  ImageProcessorConfig c = *this;
  c.do_resize = true;
  c.shortest_edge = 0;
  c.height = new_height;
  c.width = new_width;
  c.do_center_crop = false;
  return c;
}

void ImageProcessor::PreprocessInto(const Image& image, float* out) const {
  CheckConfig(config_);
  CheckImage(image, "image");
  const std::array<int, 2> hw = CheckedResizedSize(config_, image.width, image.height);
  if (hw[0] == image.height && hw[1] == image.width) {
    FinishFromResized(config_, image.rgb.data(), image.width, image.height, out);
    return;
  }
  std::vector<uint8_t> resized(static_cast<size_t>(hw[0]) * static_cast<size_t>(hw[1]) * 3);
  image::ResizeRgb(image.rgb.data(), image.width, image.height, resized.data(), hw[1], hw[0],
                   static_cast<image::Resample>(config_.resample));
  FinishFromResized(config_, resized.data(), hw[1], hw[0], out);
}

Tensor ImageProcessor::PreprocessEncoded(std::span<const uint8_t> bytes, const std::string& name,
                                         const DecodeOptions& options) const {
  CheckConfig(config_);
  if (!config_.do_resize || image::SniffFormat(bytes) != image::Format::kJpeg) {
    const Image image = DecodeImage(bytes, name, options);
    const std::array<int, 2> hw = config_.OutputSize(image.width, image.height);
    Tensor out({3, hw[0], hw[1]});
    PreprocessInto(image, out.data());
    return out;
  }
  const image::DecodeContext ctx(bytes, name, options.exif_transpose);
  const ImageProcessorConfig& c = config_;
  image::ResizeSink sink([&c](int w, int h) { return CheckedResizedSize(c, w, h); },
                         static_cast<image::Resample>(config_.resample));
  try {
    image::DecodeJpegInto(ctx, sink);
  } catch (const std::bad_alloc&) {
    image::FailOutOfMemory(ctx);
  }
  const int w = sink.dst_width(), h = sink.dst_height();
  std::vector<uint8_t> resized(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
  sink.Finish(resized.data());
  const std::array<int, 2> hw = config_.OutputSize(w, h);
  Tensor out({3, hw[0], hw[1]});
  FinishFromResized(config_, resized.data(), w, h, out.data());
  return out;
}

Tensor ImageProcessor::PreprocessFile(const std::filesystem::path& path, const DecodeOptions& options) const {
  const std::vector<uint8_t> bytes = image::ReadImageFile(path);
  return PreprocessEncoded(bytes, path.string(), options);
}

Tensor ImageProcessor::Preprocess(std::span<const Image> images) const {
  CheckConfig(config_);
  std::array<int, 2> hw = config_.OutputSize(config_.width, config_.height);
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string which = "image " + std::to_string(i);
    CheckImage(images[i], which);
    if (config_.FixedOutputSize()) continue;
    const std::array<int, 2> own = config_.OutputSize(images[i].width, images[i].height);
    if (i == 0) {
      hw = own;
    } else if (own != hw) {
      throw Error(which + " gives pixel_values of " + std::to_string(own[1]) + "x" + std::to_string(own[0]) +
                      " but image 0 gives " + std::to_string(hw[1]) + "x" + std::to_string(hw[0]) +
                      "; a batch needs one size (resize to a fixed size, or crop)",
                  ErrorKind::kInvalidArgument);
    }
  }
  const int64_t height = hw[0], width = hw[1];
  const auto count = static_cast<int64_t>(images.size());
  Tensor out({count, 3, height, width});
  const int64_t plane = 3 * height * width;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  core::ParallelFor(count, [&](int64_t i) {
    try {
      PreprocessInto(images[static_cast<size_t>(i)], out.data() + i * plane);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
  return out;
}

}  // namespace vit
