// vit._vit.attention_maps / head_attention_maps / attention_overlay: include/vit/attention_map.h over
// numpy arrays. The Python layer (python/vit/attention.py) checks the arguments and names them.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <string>
#include <vector>

#include "arrays.h"
#include "bindings.h"
#include "vit/attention_map.h"
#include "vit/error.h"

namespace py = pybind11;

namespace vit::python {
namespace {

std::vector<Tensor> AttentionTensors(const py::sequence& attentions) {
  std::vector<Tensor> out;
  out.reserve(attentions.size());
  for (size_t l = 0; l < attentions.size(); ++l)
    out.push_back(FromNumpy(attentions[l].cast<py::array>(), "attentions[" + std::to_string(l) + "]", 4, true));
  return out;
}

}  // namespace

void RegisterAttention(py::module_& m) {
  m.def(
      "attention_maps",
      [](const py::sequence& attentions, int64_t grid_height, int64_t grid_width, const std::string& method,
         const std::string& head_fusion, double discard_ratio, int layer) {
        const std::vector<Tensor> tensors = AttentionTensors(attentions);
        AttentionMapOptions options;
        options.method = ParseAttentionMethod(method);
        options.head_fusion = ParseHeadFusion(head_fusion);
        options.discard_ratio = discard_ratio;
        options.layer = layer;
        Tensor maps;
        {
          py::gil_scoped_release release;
          maps = AttentionMaps(tensors, {grid_height, grid_width}, options);
        }
        return ToNumpy(maps);
      },
      py::arg("attentions"), py::arg("grid_height"), py::arg("grid_width"), py::arg("method") = "rollout",
      py::arg("head_fusion") = "mean", py::arg("discard_ratio") = 0.0, py::arg("layer") = -1,
      "vit::AttentionMaps: [B, grid_height, grid_width] float32, each image's largest value 1.");
  m.def(
      "head_attention_maps",
      [](const py::sequence& attentions, int64_t grid_height, int64_t grid_width, int layer) {
        const std::vector<Tensor> tensors = AttentionTensors(attentions);
        return ToNumpy(HeadAttentionMaps(tensors, {grid_height, grid_width}, layer));
      },
      py::arg("attentions"), py::arg("grid_height"), py::arg("grid_width"), py::arg("layer") = -1,
      "vit::HeadAttentionMaps: [B, heads, grid_height, grid_width] float32, each head's largest value 1.");
  m.def(
      "attention_overlay",
      [](const py::array& pixel_values, const py::array& attention_map, const ImageProcessor& processor,
         double alpha) {
        const Tensor pixels = FromNumpy(pixel_values, "pixel_values", -1, true);
        const Tensor map = FromNumpy(attention_map, "attention_map", -1, true);
        const Image image = AttentionOverlay(pixels, map, processor.config(), alpha);
        py::array_t<uint8_t> out({static_cast<py::ssize_t>(image.height), static_cast<py::ssize_t>(image.width),
                                  static_cast<py::ssize_t>(3)});
        std::memcpy(out.mutable_data(), image.rgb.data(), image.rgb.size());
        return out;
      },
      py::arg("pixel_values"), py::arg("attention_map"), py::arg("processor"), py::arg("alpha") = 0.6,
      "vit::AttentionOverlay: uint8 RGB [H, W, 3], the map in viridis over the image as the model saw it.");
}

}  // namespace vit::python
