// ViTImageProcessor.preprocess on RGB pictures, in transformers' order and float arithmetic:
//   resize      PIL Image.resize((width, height), resample)          (image/resample.cc)
//   rescale     (image.astype(np.float64) * rescale_factor).astype(np.float32)
//   normalize   (image - np.float32(mean)) / np.float32(std), in float32
//   layout      channels first, [B, 3, H, W]
// The last three depend only on the channel and the 8-bit value, so they become a 3 x 256 table.
#include <array>
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
  if (c.do_resize && (c.height < 1 || c.width < 1)) {
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

}  // namespace

void ImageProcessor::PreprocessInto(const Image& image, float* out) const {
  CheckConfig(config_);
  CheckImage(image, "image");
  if (!config_.do_resize || (image.width == config_.width && image.height == config_.height)) {
    WriteChannelsFirst(image.rgb.data(), static_cast<size_t>(image.width) * static_cast<size_t>(image.height), config_,
                       out);
    return;
  }
  const size_t plane = static_cast<size_t>(config_.width) * static_cast<size_t>(config_.height);
  std::vector<uint8_t> resized(plane * 3);
  image::ResizeRgb(image.rgb.data(), image.width, image.height, resized.data(), config_.width, config_.height,
                   static_cast<image::Resample>(config_.resample));
  WriteChannelsFirst(resized.data(), plane, config_, out);
}

Tensor ImageProcessor::PreprocessEncoded(std::span<const uint8_t> bytes, const std::string& name,
                                         const DecodeOptions& options) const {
  CheckConfig(config_);
  if (!config_.do_resize || image::SniffFormat(bytes) != image::Format::kJpeg) {
    const Image image = DecodeImage(bytes, name, options);
    const int64_t h = config_.do_resize ? config_.height : image.height;
    const int64_t w = config_.do_resize ? config_.width : image.width;
    Tensor out({3, h, w});
    PreprocessInto(image, out.data());
    return out;
  }
  const image::DecodeContext ctx(bytes, name, options.exif_transpose);
  image::ResizeSink sink(config_.width, config_.height, static_cast<image::Resample>(config_.resample));
  try {
    image::DecodeJpegInto(ctx, sink);
  } catch (const std::bad_alloc&) {
    image::FailOutOfMemory(ctx);
  }
  const size_t plane = static_cast<size_t>(config_.width) * static_cast<size_t>(config_.height);
  std::vector<uint8_t> resized(plane * 3);
  sink.Finish(resized.data());
  Tensor out({3, config_.height, config_.width});
  WriteChannelsFirst(resized.data(), plane, config_, out.data());
  return out;
}

Tensor ImageProcessor::PreprocessFile(const std::filesystem::path& path, const DecodeOptions& options) const {
  const std::vector<uint8_t> bytes = image::ReadImageFile(path);
  return PreprocessEncoded(bytes, path.string(), options);
}

Tensor ImageProcessor::Preprocess(std::span<const Image> images) const {
  CheckConfig(config_);
  int64_t height = config_.height, width = config_.width;
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string which = "image " + std::to_string(i);
    CheckImage(images[i], which);
    if (config_.do_resize) continue;
    if (i == 0) {
      height = images[0].height;
      width = images[0].width;
    } else if (images[i].height != height || images[i].width != width) {
      throw Error(which + " is " + std::to_string(images[i].width) + "x" + std::to_string(images[i].height) +
                      " but image 0 is " + std::to_string(width) + "x" + std::to_string(height) +
                      "; without do_resize a batch needs one size",
                  ErrorKind::kInvalidArgument);
    }
  }
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
