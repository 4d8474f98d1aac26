// vit.ImageProcessor: ViTImageProcessor's preprocessing (preprocessor_config.json) over paths, bytes and
// RGB arrays, bit-identical to `vit embed --outputs pixel_values`.
#include <filesystem>
#include <optional>
#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "arrays.h"
#include "bindings.h"
#include "images.h"
#include "vit/hub.h"
#include "vit/image_processor.h"

namespace py = pybind11;

namespace vit::python {
namespace {

py::dict ConfigToDict(const ImageProcessorConfig& c) {
  py::dict d;
  d["image_processor_type"] = c.image_processor_type;
  d["do_resize"] = c.do_resize;
  d["shortest_edge"] = c.shortest_edge;
  d["height"] = c.height;
  d["width"] = c.width;
  d["resample"] = c.resample;
  d["do_rescale"] = c.do_rescale;
  d["rescale_factor"] = c.rescale_factor;
  d["do_normalize"] = c.do_normalize;
  d["image_mean"] = py::make_tuple(c.image_mean[0], c.image_mean[1], c.image_mean[2]);
  d["image_std"] = py::make_tuple(c.image_std[0], c.image_std[1], c.image_std[2]);
  d["do_convert_rgb"] = c.do_convert_rgb;
  d["do_center_crop"] = c.do_center_crop;
  d["crop_height"] = c.crop_height;
  d["crop_width"] = c.crop_width;
  return d;
}

// `base` with the fields `changes` names replaced; an unknown field or a bad value is kInvalidArgument.
ImageProcessorConfig ConfigWith(ImageProcessorConfig c, const py::dict& changes) {
  for (auto [key, value] : changes) {
    const std::string name = py::str(key);
    auto triple = [&](std::array<float, 3>& field) {
      auto v = value.cast<std::vector<float>>();
      if (v.size() != 3) throw Error(name + ": expected 3 values, got " + std::to_string(v.size()), ErrorKind::kInvalidArgument);
      field = {v[0], v[1], v[2]};
    };
    try {
      if (name == "do_resize") c.do_resize = value.cast<bool>();
      else if (name == "shortest_edge") c.shortest_edge = value.cast<int>();
      else if (name == "height") c.height = value.cast<int>();
      else if (name == "width") c.width = value.cast<int>();
      else if (name == "resample") c.resample = value.cast<int>();
      else if (name == "do_rescale") c.do_rescale = value.cast<bool>();
      else if (name == "rescale_factor") c.rescale_factor = value.cast<double>();
      else if (name == "do_normalize") c.do_normalize = value.cast<bool>();
      else if (name == "image_mean") triple(c.image_mean);
      else if (name == "image_std") triple(c.image_std);
      else if (name == "do_convert_rgb") c.do_convert_rgb = value.cast<bool>();
      else if (name == "do_center_crop") c.do_center_crop = value.cast<bool>();
      else if (name == "crop_height") c.crop_height = value.cast<int>();
      else if (name == "crop_width") c.crop_width = value.cast<int>();
      else throw Error("unknown image processor setting '" + name + "'", ErrorKind::kInvalidArgument);
    } catch (const py::cast_error&) {
      throw Error(name + ": a value of the wrong type (" + std::string(py::str(py::type::of(value).attr("__name__"))) + ")",
                  ErrorKind::kInvalidArgument);
    }
  }
  if (c.shortest_edge < 0)
    throw Error("size: shortest_edge must be positive, got " + std::to_string(c.shortest_edge), ErrorKind::kInvalidArgument);
  if (c.crop_height <= 0 || c.crop_width <= 0)
    throw Error("crop_size: height and width must be positive, got " + std::to_string(c.crop_height) + "x" +
                    std::to_string(c.crop_width),
                ErrorKind::kInvalidArgument);
  if (c.height <= 0 || c.width <= 0)
    throw Error("size: height and width must be positive, got " + std::to_string(c.height) + "x" + std::to_string(c.width),
                ErrorKind::kInvalidArgument);
  if (c.resample < 0 || c.resample > 5)
    throw Error("resample: expected a PIL filter 0-5, got " + std::to_string(c.resample), ErrorKind::kInvalidArgument);
  return c;
}

Tensor PreprocessAll(const ImageProcessor& processor, const std::vector<ImageInput>& inputs, const DecodeOptions& decode) {
  std::vector<Preprocessed> done = PreprocessRange(processor, inputs, 0, inputs.size(), decode);
  std::vector<const Tensor*> rows;
  std::vector<const std::string*> names;
  for (size_t i = 0; i < done.size(); ++i) {
    if (!done[i].error.empty()) throw Error(done[i].error, done[i].kind);
    rows.push_back(&done[i].pixel_values);
    names.push_back(&inputs[i].name);
  }
  return StackRows(rows, names);
}

HubOptions MakeHubOptions(const std::string& revision, std::optional<std::filesystem::path> cache_dir,
                          std::optional<bool> offline, const std::string& token, bool progress) {
  HubOptions hub;
  hub.revision = revision;
  hub.cache_dir = std::move(cache_dir);
  hub.offline = offline;
  hub.token = token;
  hub.progress = progress;
  return hub;
}

}  // namespace

void RegisterProcessor(py::module_& m) {
  py::class_<ImageProcessor>(m, "ImageProcessor",
                             "ViTImageProcessor's resize, rescale and normalize, Pillow-exact, in C++.")
      .def(py::init([](const py::dict& changes) { return ImageProcessor(ConfigWith({}, changes)); }),
           py::arg("config") = py::dict(), "Defaults of ViTImageProcessor with the fields of `config` replaced.")
      .def_static("from_pretrained", &ImageProcessor::FromPretrained, py::arg("directory"),
                  "Reads directory/preprocessor_config.json (defaults when absent).")
      .def("with_config",
           [](const ImageProcessor& p, const py::dict& changes) { return ImageProcessor(ConfigWith(p.config(), changes)); },
           py::arg("changes"), "A copy with the given fields replaced.")
      .def_property_readonly("config", [](const ImageProcessor& p) { return ConfigToDict(p.config()); })
      .def(
          "preprocess",
          [](const ImageProcessor& p, const py::sequence& images, bool exif_transpose) {
            std::vector<ImageInput> inputs = ParseImageInputs(images);
            if (inputs.empty()) throw Error("no images given", ErrorKind::kInvalidArgument);
            DecodeOptions decode;
            decode.exif_transpose = exif_transpose;
            Tensor pixel_values;
            {
              py::gil_scoped_release release;
              pixel_values = PreprocessAll(p, inputs, decode);
            }
            return ToNumpy(pixel_values);
          },
          py::arg("images"), py::arg("exif_transpose") = false,
          "pixel_values [B, 3, H, W] float32 of file paths, encoded bytes or uint8 RGB arrays [H, W, 3].");

  m.def(
      "download_model",
      [](const std::string& id, const std::string& revision, std::optional<std::filesystem::path> cache_dir,
         std::optional<bool> offline, const std::string& token, bool progress) {
        const HubOptions hub = MakeHubOptions(revision, std::move(cache_dir), offline, token, progress);
        py::gil_scoped_release release;
        return DownloadModel(id, hub);
      },
      py::arg("id"), py::arg("revision") = "", py::arg("cache_dir") = py::none(), py::arg("offline") = py::none(),
      py::arg("token") = "", py::arg("progress") = true,
      "Fills the Hugging Face cache with what a model needs; returns its snapshot folder.");

  m.def(
      "resolve_model",
      [](const std::string& model, const std::string& revision, std::optional<std::filesystem::path> cache_dir,
         std::optional<bool> offline, const std::string& token, bool progress) {
        const HubOptions hub = MakeHubOptions(revision, std::move(cache_dir), offline, token, progress);
        py::gil_scoped_release release;
        return ResolveModel(model, hub);
      },
      py::arg("model"), py::arg("revision") = "", py::arg("cache_dir") = py::none(), py::arg("offline") = py::none(),
      py::arg("token") = "", py::arg("progress") = true,
      "The folder a model is read from: a local folder as it is, a hub id's snapshot folder (downloaded if "
      "needed); the errors Model::Load gives.");
}

}  // namespace vit::python
