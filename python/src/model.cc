// vit.Model: a loaded checkpoint. run() is Model::Run on a numpy pixel_values; embed() decodes,
// preprocesses and runs batches of images, one pooled vector per image. Both release the GIL.
#include <omp.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <sched.h>

#include <chrono>
#include <cstring>
#include <span>
#include <memory>
#include <mutex>
#include <optional>

#include "arrays.h"
#include "bindings.h"
#include "images.h"
#include "vit/extract.h"
#include "vit/model.h"
#include "vit/pooling.h"

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
    const auto start = std::chrono::steady_clock::now();
    ModelOutput out = model_->Run(pixel_values, options);
    last_run_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }
  // Wall time of the last Run's Model::Run alone: what a call took beyond it is the binding's overhead.
  double last_run_seconds() const { return last_run_seconds_; }

  Embeddings Extract(std::span<const ExtractInput> inputs, const ExtractOptions& options) {
    std::lock_guard<std::mutex> lock(mutex_);
    UseThreads();
    return ExtractEmbeddings(*model_, inputs, options);
  }

  // OpenMP's thread count belongs to the calling thread, and Python may call from any of its threads.
  void UseThreads() const { omp_set_num_threads(threads_); }
  // For a caller that runs Extract itself with its own sink: hold mutex() around it.
  std::mutex& mutex() { return mutex_; }
  Model& mutable_model() { return *model_; }

 private:
  std::unique_ptr<Model> model_;
  int threads_;
  std::mutex mutex_;
  double last_run_seconds_ = 0.0;
};

py::dict OutputToDict(const ModelOutput& out) {
  py::dict d;
  d["last_hidden_state"] = ToNumpy(out.last_hidden_state);
  d["pooler_output"] = ToNumpy(out.pooler_output);
  d["logits"] = ToNumpy(out.logits);
  d["image_embeds"] = ToNumpy(out.image_embeds);
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
  d["family"] = i.family;
  d["has_pooler"] = i.has_pooler;
  d["has_image_embeds"] = i.has_image_embeds;
  d["has_classifier"] = i.has_classifier;
  d["precision"] = PrecisionName(i.precision);
  d["packed_cache"] = i.packed_cache;
  d["gemm_kernel"] = i.gemm_kernel;
  return d;
}

// What Extract takes for each input; arrays become Images (a copy) that `images` keeps alive.
std::vector<ExtractInput> ExtractInputs(const std::vector<ImageInput>& inputs, std::vector<Image>& images) {
  images.reserve(inputs.size());
  std::vector<ExtractInput> out;
  out.reserve(inputs.size());
  for (const ImageInput& in : inputs) {
    switch (in.kind) {
      case ImageInput::Kind::kPath: out.push_back(ExtractInput::File(in.path)); break;
      case ImageInput::Kind::kEncoded: out.push_back(ExtractInput::Encoded({in.data, in.size}, in.name)); break;
      case ImageInput::Kind::kPixels: {
        Image& image = images.emplace_back();
        image.height = in.height;
        image.width = in.width;
        image.rgb.assign(in.data, in.data + in.size);
        out.push_back(ExtractInput::Decoded(image, in.name));
        break;
      }
    }
  }
  return out;
}

// A missing file is FileNotFoundError in Python, raised before any work.
void CheckPathsExist(const std::vector<ImageInput>& inputs) {
    for (const ImageInput& in : inputs) {
      std::error_code ec;
      if (in.kind == ImageInput::Kind::kPath && !std::filesystem::exists(in.path, ec))
        throw Error(in.name + ": no such file", ErrorKind::kNotFound);
    }
}

// Extract's batches with the GIL released; between batches, with the GIL: progress(done, total), then
// pending signals (Ctrl-C raises KeyboardInterrupt there, which ends the job).
Embeddings Embed(PyModel& model, const std::vector<ImageInput>& inputs, ExtractOptions options,
                 const py::object& progress) {
  // Extract reports every unreadable input as kInvalidInput, as `vit embed` does; a missing file is
  // FileNotFoundError in Python, raised before any work.
  if (!options.skip_invalid) CheckPathsExist(inputs);
  std::vector<Image> images;
  const std::vector<ExtractInput> extract_inputs = ExtractInputs(inputs, images);
  options.progress = [&progress](const ExtractProgress& p) {
    if (progress.is_none()) return;
    py::gil_scoped_acquire gil;
    progress(p.done, p.total);
  };
  options.cancelled = [] {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    return false;
  };
  py::gil_scoped_release release;
  return model.Extract(extract_inputs, options);
}

bool IsPooled(const std::string& name) {
  return name == "pooler_output" || name == "image_embeds" || name == "cls" || name == "mean";
}

// One pass of Extract keeping several outputs, each row as `vit embed --outputs` writes it (the same
// Pool and L2NormalizeRows on the same batches), so that a caller can write them bit for bit as the tool.
py::tuple ExtractOutputs(PyModel& model, const std::vector<ImageInput>& inputs, const std::vector<std::string>& outputs,
                         int batch_size, bool normalize, bool skip_invalid, bool exif_transpose) {
  const ModelInfo& info = model.model().info();
  for (const std::string& name : outputs) {
    if (name != "last_hidden_state" && name != "logits" && !IsPooled(name))
      throw Error("outputs: unknown output '" + name + "'; expected some of last_hidden_state, pooler_output, "
                  "image_embeds, logits, cls, mean", ErrorKind::kInvalidArgument);
    if (IsPooled(name)) RequirePooling(info, ParsePooling(name));
    if (name == "logits" && !info.has_classifier)
      throw Error("logits: " + info.source + " has no classifier (no classifier.* tensors)", ErrorKind::kInvalidArgument);
  }
  if (!skip_invalid) CheckPathsExist(inputs);
  std::vector<Image> images;
  const std::vector<ExtractInput> extract_inputs = ExtractInputs(inputs, images);
  ExtractOptions options;
  options.batch_size = batch_size;
  options.embeddings = false;
  options.skip_invalid = skip_invalid;
  options.decode.exif_transpose = exif_transpose;
  options.processor = model.model().processor();
  options.cancelled = [] {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    return false;
  };
  std::vector<std::vector<Tensor>> blocks(outputs.size());
  std::vector<size_t> kept;
  ExtractSummary summary;
  {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(model.mutex());
    model.UseThreads();
    summary = Extract(
        model.mutable_model(), extract_inputs,
        [&](ExtractedBatch& batch) {
          const ModelOutput& out = batch.output;
          for (size_t o = 0; o < outputs.size(); ++o) {
            const std::string& name = outputs[o];
            Tensor t = name == "last_hidden_state" ? out.last_hidden_state
                       : name == "logits"          ? out.logits
                                                   : Pool(out, ParsePooling(name));
            if (normalize && IsPooled(name)) L2NormalizeRows(t);
            blocks[o].push_back(std::move(t));
          }
          kept.insert(kept.end(), batch.indices.begin(), batch.indices.end());
        },
        options);
  }
  py::dict arrays;
  const ViTConfig& c = model.model().config();
  for (size_t o = 0; o < outputs.size(); ++o) {
    std::vector<int64_t> shape;
    if (!blocks[o].empty()) {
      shape = blocks[o].front().shape();
      shape[0] = 0;
      for (const Tensor& t : blocks[o]) shape[0] += t.dim(0);
    } else if (outputs[o] == "last_hidden_state") {
      shape = {0, c.num_patches() + model.model().info().leading_tokens, c.hidden_size};
    } else if (outputs[o] == "logits") {
      shape = {0, static_cast<int64_t>(c.id2label.size())};
    } else {
      shape = {0, PooledWidth(c, ParsePooling(outputs[o]))};
    }
    Tensor all(shape);
    size_t offset = 0;
    for (const Tensor& t : blocks[o]) {
      std::memcpy(all.data() + offset, t.data(), static_cast<size_t>(t.numel()) * sizeof(float));
      offset += static_cast<size_t>(t.numel());
    }
    arrays[py::str(outputs[o])] = ToNumpy(all);
  }
  py::array_t<int64_t> kept_array(static_cast<py::ssize_t>(kept.size()));
  for (size_t i = 0; i < kept.size(); ++i) kept_array.mutable_data()[i] = static_cast<int64_t>(kept[i]);
  py::list skipped;
  for (const SkippedInput& s : summary.skipped) skipped.append(py::make_tuple(s.index, s.reason));
  return py::make_tuple(arrays, kept_array, skipped);
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
      .def_property_readonly("last_run_seconds", &PyModel::last_run_seconds,
                             "Seconds the last run() spent in Model::Run itself (bench/python measures the rest).")
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
            ExtractOptions options;
            options.batch_size = batch_size;
            if (!pooling.empty()) options.pooling = ParsePooling(pooling);
            options.normalize = normalize;
            options.skip_invalid = skip_invalid;
            options.decode.exif_transpose = exif_transpose;
            options.processor = std::move(processor);
            if (!options.processor) options.processor = model.model().processor();
            const std::vector<ImageInput> inputs = ParseImageInputs(images);
            Embeddings e = Embed(model, inputs, std::move(options), progress);
            py::array_t<int64_t> kept(static_cast<py::ssize_t>(e.indices.size()));
            for (size_t i = 0; i < e.indices.size(); ++i) kept.mutable_data()[i] = static_cast<int64_t>(e.indices[i]);
            py::list skipped;
            for (const SkippedInput& s : e.summary.skipped) skipped.append(py::make_tuple(s.index, s.reason));
            if (e.vectors.dim(0) == 0) {  // no row: [0, D] of the pooling's width, as a batch would have
              e.vectors = Tensor({0, PooledWidth(model.model().config(), e.summary.pooling)});
            }
            return py::make_tuple(ToNumpy(e.vectors), kept, skipped);
          },
          py::arg("images"), py::arg("pooling") = "", py::arg("batch_size") = 8, py::arg("normalize") = false,
          py::arg("skip_invalid") = false, py::arg("exif_transpose") = false, py::arg("progress") = py::none(),
          py::arg("processor") = py::none(),
          "(features [N, D], kept input indices, [(index, reason)] of skipped inputs).")
      .def(
          "extract",
          [](PyModel& model, const py::sequence& images, const std::vector<std::string>& outputs, int batch_size,
             bool normalize, bool skip_invalid, bool exif_transpose) {
            if (batch_size < 1)
              throw Error("batch_size must be at least 1, got " + std::to_string(batch_size), ErrorKind::kInvalidArgument);
            return ExtractOutputs(model, ParseImageInputs(images), outputs, batch_size, normalize, skip_invalid,
                                  exif_transpose);
          },
          py::arg("images"), py::arg("outputs"), py::arg("batch_size") = 8, py::arg("normalize") = false,
          py::arg("skip_invalid") = false, py::arg("exif_transpose") = false,
          "({output: [N, ...]} for outputs among last_hidden_state, pooler_output, image_embeds, logits, cls, mean, computed as "
          "`vit embed --outputs` does in one pass, kept input indices, [(index, reason)] of skipped inputs).");
}

}  // namespace vit::python
