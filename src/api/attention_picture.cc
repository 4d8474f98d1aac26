// ImageFromPixelValues, AttentionOverlay, AttentionHeadsGrid: attention maps as pictures over the
// image as the model saw it.
#include <algorithm>
#include <array>
#include <cmath>

#include "api/draw.h"
#include "vit/attention_map.h"
#include "vit/error.h"

namespace vit {
namespace {

// Matplotlib's viridis (perceptually uniform, lightness rising with the value), sampled at 17 evenly
// spaced points; linear interpolation between them stays within a few levels of the full table.
constexpr std::array<std::array<uint8_t, 3>, 17> kViridis = {{
    {68, 1, 84},    {72, 24, 106},  {71, 45, 123},  {66, 64, 134},  {59, 82, 139},  {51, 99, 141},
    {44, 114, 142}, {38, 130, 142}, {33, 145, 140}, {31, 159, 136}, {39, 173, 129}, {61, 188, 116},
    {92, 200, 99},  {129, 211, 77}, {170, 220, 50}, {213, 226, 26}, {253, 231, 37},
}};

std::array<double, 3> Viridis(double v) {
  const double pos = std::clamp(v, 0.0, 1.0) * static_cast<double>(kViridis.size() - 1);
  const auto i = std::min(static_cast<size_t>(pos), kViridis.size() - 2);
  const double f = pos - static_cast<double>(i);
  std::array<double, 3> rgb{};
  for (size_t c = 0; c < 3; ++c) rgb[c] = (1.0 - f) * kViridis[i][c] + f * kViridis[i + 1][c];
  return rgb;
}

// Maps are the trailing two dimensions [gh, gw], after `free_leading` dimensions of any size (heads);
// every dimension before those must be 1.
void CheckMap(const Tensor& map, int free_leading, const char* what) {
  bool ok = map.rank() >= 2 + free_leading;
  for (int i = 0; ok && i < map.rank() - 2 - free_leading; ++i) ok = map.dim(i) == 1;
  if (!ok || map.empty())
    throw Error(std::string(what) + ": unexpected map shape " + map.ShapeString(), ErrorKind::kInvalidArgument);
}

// The map upsampled bilinearly (sample centres aligned, edges clamped) to height x width.
std::vector<double> Upsample(const float* map, int64_t gh, int64_t gw, int height, int width) {
  std::vector<double> out(static_cast<size_t>(height) * static_cast<size_t>(width));
  for (int y = 0; y < height; ++y) {
    const double sy = std::clamp((y + 0.5) * static_cast<double>(gh) / height - 0.5, 0.0, static_cast<double>(gh - 1));
    const auto y0 = static_cast<int64_t>(sy);
    const int64_t y1 = std::min(y0 + 1, gh - 1);
    const double fy = sy - static_cast<double>(y0);
    for (int x = 0; x < width; ++x) {
      const double sx = std::clamp((x + 0.5) * static_cast<double>(gw) / width - 0.5, 0.0, static_cast<double>(gw - 1));
      const auto x0 = static_cast<int64_t>(sx);
      const int64_t x1 = std::min(x0 + 1, gw - 1);
      const double fx = sx - static_cast<double>(x0);
      const double top = (1 - fx) * map[y0 * gw + x0] + fx * map[y0 * gw + x1];
      const double bottom = (1 - fx) * map[y1 * gw + x0] + fx * map[y1 * gw + x1];
      out[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)] = (1 - fy) * top + fy * bottom;
    }
  }
  return out;
}

// Draws `under` at (x0, y0) of the canvas with map [gh, gw], upsampled to its size, laid over it.
void Overlay(Image& canvas, int x0, int y0, const Image& under, const float* map, int64_t gh, int64_t gw, double alpha) {
  const std::vector<double> up = Upsample(map, gh, gw, under.height, under.width);
  for (int y = 0; y < under.height; ++y)
    for (int x = 0; x < under.width; ++x) {
      const size_t i = static_cast<size_t>(y) * static_cast<size_t>(under.width) + static_cast<size_t>(x);
      const std::array<double, 3> heat = Viridis(up[i]);
      uint8_t* dst = &canvas.rgb[((static_cast<size_t>(y0 + y)) * static_cast<size_t>(canvas.width) +
                                  static_cast<size_t>(x0 + x)) * 3];
      for (size_t c = 0; c < 3; ++c)
        dst[c] = static_cast<uint8_t>(std::lround((1 - alpha) * under.rgb[i * 3 + c] + alpha * heat[c]));
    }
}

void CheckAlpha(double alpha) {
  if (!(alpha >= 0.0 && alpha <= 1.0))
    throw Error("attention overlay: alpha must be in [0, 1], got " + std::to_string(alpha), ErrorKind::kInvalidArgument);
}

}  // namespace

Image ImageFromPixelValues(const Tensor& pixel_values, const ImageProcessorConfig& processor) {
  if (!((pixel_values.rank() == 4 && pixel_values.dim(0) == 1) || pixel_values.rank() == 3) ||
      pixel_values.dim(-3) != 3 || pixel_values.dim(-2) < 1 || pixel_values.dim(-1) < 1)
    throw Error("image from pixel_values: expected [1, 3, H, W] or [3, H, W], got " + pixel_values.ShapeString(),
                ErrorKind::kInvalidArgument);
  Image image;
  image.height = static_cast<int>(pixel_values.dim(-2));
  image.width = static_cast<int>(pixel_values.dim(-1));
  const size_t plane = static_cast<size_t>(image.height) * static_cast<size_t>(image.width);
  image.rgb.resize(plane * 3);
  for (size_t c = 0; c < 3; ++c)
    for (size_t i = 0; i < plane; ++i) {
      double v = pixel_values.data()[c * plane + i];
      if (processor.do_normalize) v = v * processor.image_std[c] + processor.image_mean[c];
      if (processor.do_rescale && processor.rescale_factor != 0.0) v /= processor.rescale_factor;
      image.rgb[i * 3 + c] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
    }
  return image;
}

Image AttentionOverlay(const Tensor& pixel_values, const Tensor& map, const ImageProcessorConfig& processor,
                       double alpha) {
  CheckAlpha(alpha);
  CheckMap(map, 0, "attention overlay");
  Image image = ImageFromPixelValues(pixel_values, processor);
  const Image under = image;
  Overlay(image, 0, 0, under, map.data(), map.dim(-2), map.dim(-1), alpha);
  return image;
}

Image AttentionHeadsGrid(const Tensor& pixel_values, const Tensor& head_maps, const ImageProcessorConfig& processor,
                         const std::string& title, double alpha) {
  CheckAlpha(alpha);
  CheckMap(head_maps, 1, "attention heads");
  const Image under = ImageFromPixelValues(pixel_values, processor);
  const int64_t heads = head_maps.dim(-3), gh = head_maps.dim(-2), gw = head_maps.dim(-1);
  const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(heads))));
  const int rows = static_cast<int>((heads + columns - 1) / columns);
  constexpr int kGap = 6;
  const int font = std::clamp(under.height / 12, 11, 18);
  const int title_height = font * 2;
  Image canvas = draw::Blank(kGap + columns * (under.width + kGap), title_height + rows * (under.height + kGap) + kGap / 2);
  draw::Text(canvas, title, kGap, font + font / 2, font, {0, 0, 0});
  for (int64_t h = 0; h < heads; ++h) {
    const int x = kGap + static_cast<int>(h % columns) * (under.width + kGap);
    const int y = title_height + static_cast<int>(h / columns) * (under.height + kGap);
    Overlay(canvas, x, y, under, head_maps.data() + h * gh * gw, gh, gw, alpha);
    const std::string label = "head " + std::to_string(h);
    const int label_width = draw::TextWidth(label, font);
    if (label_width > 0) {
      draw::FillRect(canvas, x, y, label_width + 8, font + 8, {0, 0, 0});
      draw::Text(canvas, label, x + 4, y + font + 2, font, {255, 255, 255});
    }
  }
  return canvas;
}

}  // namespace vit
