// vit.Model: a loaded checkpoint. run() is Model::Run on a numpy pixel_values; embed() decodes,
// preprocesses and runs batches of images, one pooled vector per image. Both release the GIL.
#include <omp.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <sched.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

#include "arrays.h"
#include "bindings.h"
#include "images.h"
#include "vit/index.h"
#include "vit/model.h"
#include "vit/probe.h"

namespace py = pybind11;

namespace vit::python {
namespace {

int EveryCore() {
  cpu_set_t set;
  return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : omp_get_num_procs();
}

class PyModel {
 public:
  PyModel(std::unique_ptr<Model> model, int threads) : model_(std::move(model)), threads_(threads > 0 ? threads : EveryCore()) {}

  const Model& model() const { return *model_; }

  // Model::Run is not reentrant: one call at a time, taken after the GIL is released.
  ModelOutput Run(const Tensor& pixel_values, const RunOptions& options) {
    std::lock_guard<std::mutex> lock(mutex_);
    UseThreads();
    return model_->Run(pixel_values, options);
  }

  // OpenMP's thread count belongs to the calling thread, and Python may call from any of its threads.
  void UseThreads() const { omp_set_num_threads(threads_); }

 private:
  std::unique_ptr<Model> model_;
  int threads_;
  std::mutex mutex_;
};

py::dict OutputToDict(const ModelOutput& out) {
  py::dict d;
  d["last_hidden_state"] = ToNumpy(out.last_hidden_state);
  d["pooler_output"] = ToNumpy(out.pooler_output);
  d["logits"] = ToNumpy(out.logits);
  d["hidden_states"] = out.hidden_states.empty() ? py::object(py::none()) : py::object(ToNumpyTuple(out.hidden_states));
  d["attentions"] = out.attentions.empty() ? py::object(py::none()) : py::object(ToNumpyTuple(out.attentions));
  return d;
}

py::dict ConfigToDict(const ViTConfig& c) {
  py::dict d;
  d["hidden_size"] = c.hidden_size;
  d["num_hidden_layers"] = c.num_hidden_layers;
  d["num_attention_heads"] = c.num_attention_heads;
  d["intermediate_size"] = c.intermediate_size;
  d["hidden_act"] = c.hidden_act;
  d["layer_norm_eps"] = c.layer_norm_eps;
  d["image_size"] = c.image_size;
  d["patch_size"] = c.patch_size;
  d["num_channels"] = c.num_channels;
  d["qkv_bias"] = c.qkv_bias;
  d["encoder_stride"] = c.encoder_stride;
  d["pooler_output_size"] = c.pooler_output_size > 0 ? c.pooler_output_size : c.hidden_size;
  d["pooler_act"] = c.pooler_act;
  d["architectures"] = c.architectures;
  d["id2label"] = c.id2label;
  d["model_type"] = c.model_type;
  return d;
}

py::dict InfoToDict(const ModelInfo& i) {
  py::dict d;
  d["source"] = i.source;
  d["directory"] = i.directory;
  d["weights_file"] = i.weights_file;
  d["num_parameters"] = i.num_parameters;
  d["has_pooler"] = i.has_pooler;
  d["has_classifier"] = i.has_classifier;
  d["precision"] = PrecisionName(i.precision);
  d["packed_cache"] = i.packed_cache;
  d["gemm_kernel"] = i.gemm_kernel;
  return d;
}

struct Embedded {
  Tensor features;                                   // [kept, D]
  std::vector<int64_t> kept;                         // input index of each row
  std::vector<std::pair<int64_t, std::string>> skipped;
};

// Batches of batch_size inputs: decoded and preprocessed in parallel, run, pooled. Between batches,
// with the GIL: progress(done, total), then pending signals (Ctrl-C raises KeyboardInterrupt there).
Embedded Embed(PyModel& model, const ImageProcessor& processor, const std::vector<ImageInput>& inputs,
               FeatureKind pooling, int batch_size, bool normalize, bool skip_invalid, bool exif_transpose,
               const py::object& progress) {
  DecodeOptions decode;
  decode.exif_transpose = exif_transpose;
  Embedded result;
  std::vector<Tensor> parts;
  int64_t width = 0;
  for (size_t begin = 0; begin < inputs.size(); begin += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(inputs.size(), begin + static_cast<size_t>(batch_size));
    std::vector<Preprocessed> done;
    {
      py::gil_scoped_release release;
      model.UseThreads();
      done = PreprocessRange(processor, inputs, begin, end, decode);
    }
    std::vector<const Tensor*> rows;
    std::vector<const std::string*> names;
    std::vector<int64_t> kept;
    for (size_t i = 0; i < done.size(); ++i) {
      const int64_t index = static_cast<int64_t>(begin + i);
      if (!done[i].error.empty()) {
        if (!skip_invalid) throw Error(done[i].error, done[i].kind);
        result.skipped.emplace_back(index, done[i].error);
        continue;
      }
      rows.push_back(&done[i].pixel_values);
      names.push_back(&inputs[begin + i].name);
      kept.push_back(index);
    }
    if (!rows.empty()) {
      Tensor features;
      {
        py::gil_scoped_release release;
        const Tensor pixel_values = StackRows(rows, names);
        ModelOutput out = model.Run(pixel_values, RunOptions{});
        features = SelectFeatures(out, pooling);
        if (normalize) NormalizeRows(features);
      }
      width = features.dim(1);
      parts.push_back(std::move(features));
      result.kept.insert(result.kept.end(), kept.begin(), kept.end());
    }
    if (!progress.is_none()) progress(end, inputs.size());
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
  if (width == 0) {
    const ViTConfig& c = model.model().config();
    width = pooling == FeatureKind::kPooler && c.pooler_output_size > 0 ? c.pooler_output_size : c.hidden_size;
  }
  result.features = Tensor({static_cast<int64_t>(result.kept.size()), width});
  int64_t row = 0;
  for (const Tensor& part : parts) {
    std::memcpy(result.features.data() + row * width, part.data(), static_cast<size_t>(part.numel()) * sizeof(float));
    row += part.dim(0);
  }
  return result;
}

}  // namespace

void RegisterModel(py::module_& m) {
  py::class_<PyModel>(m, "Model", "A Hugging Face ViT checkpoint (ViTModel or ViTForImageClassification), loaded.")
      .def(py::init([](const std::string& source, const std::string& precision, int threads, const std::string& revision,
                       std::optional<std::filesystem::path> cache_dir, std::optional<bool> offline, const std::string& token,
                       std::optional<std::filesystem::path> packed_cache, bool progress) {
             LoadOptions options;
             options.precision = ParsePrecision(precision);
             options.threads = threads;
             options.hub.revision = revision;
             options.hub.cache_dir = std::move(cache_dir);
             options.hub.offline = offline;
             options.hub.token = token;
             options.hub.progress = progress;
             options.packed_cache = std::move(packed_cache);
             std::unique_ptr<Model> model;
             {
               py::gil_scoped_release release;
               model = Model::Load(source, options);
             }
             return std::make_unique<PyModel>(std::move(model), threads);
           }),
           py::arg("source"), py::arg("precision") = "f32", py::arg("threads") = 0, py::arg("revision") = "",
           py::arg("cache_dir") = py::none(), py::arg("offline") = py::none(), py::arg("token") = "",
           py::arg("packed_cache") = py::none(), py::arg("progress") = true,
           "Loads a model folder or hub id org/name[@revision] (Model::Load).")
      .def_property_readonly("config", [](const PyModel& m) { return ConfigToDict(m.model().config()); })
      .def_property_readonly("info", [](const PyModel& m) { return InfoToDict(m.model().info()); })
      .def_property_readonly("processor", [](const PyModel& m) { return m.model().processor(); })
      .def(
          "run",
          [](PyModel& model, const py::array& pixel_values, bool output_hidden_states, bool output_attentions,
             bool interpolate_pos_encoding) {
            const Tensor input = FromNumpy(pixel_values, "pixel_values", 4, true);
            RunOptions options;
            options.output_hidden_states = output_hidden_states;
            options.output_attentions = output_attentions;
            options.interpolate_pos_encoding = interpolate_pos_encoding;
            ModelOutput out;
            {
              py::gil_scoped_release release;
              out = model.Run(input, options);
            }
            return OutputToDict(out);
          },
          py::arg("pixel_values"), py::arg("output_hidden_states") = false, py::arg("output_attentions") = false,
          py::arg("interpolate_pos_encoding") = false,
          "Runs pixel_values [B, C, H, W] float32; a dict of numpy arrays sharing the outputs' storage.")
      .def(
          "embed",
          [](PyModel& model, const py::sequence& images, const std::string& pooling, int batch_size, bool normalize,
             bool skip_invalid, bool exif_transpose, const py::object& progress,
             std::optional<ImageProcessor> processor) {
            if (batch_size < 1)
              throw Error("batch_size must be at least 1, got " + std::to_string(batch_size), ErrorKind::kInvalidArgument);
            const FeatureKind kind = ParseFeatureKind(pooling);
            std::vector<ImageInput> inputs = ParseImageInputs(images);
            Embedded e = Embed(model, processor ? *processor : model.model().processor(), inputs, kind, batch_size,
                               normalize, skip_invalid, exif_transpose, progress);
            py::array_t<int64_t> kept(static_cast<py::ssize_t>(e.kept.size()));
            if (!e.kept.empty()) std::memcpy(kept.mutable_data(), e.kept.data(), e.kept.size() * sizeof(int64_t));
            return py::make_tuple(ToNumpy(e.features), kept, e.skipped);
          },
          py::arg("images"), py::arg("pooling") = "pooler", py::arg("batch_size") = 8, py::arg("normalize") = false,
          py::arg("skip_invalid") = false, py::arg("exif_transpose") = false, py::arg("progress") = py::none(),
          py::arg("processor") = py::none(),
          "(features [N, D], kept input indices, [(index, reason)] of skipped inputs).");
}

}  // namespace vit::python
