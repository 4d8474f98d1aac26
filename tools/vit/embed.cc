// vit embed: images or pixel_values in, .npy arrays of the model's outputs out, batch by batch.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "commands.h"
#include "exit_codes.h"
#include "inputs.h"
#include "model_args.h"
#include "progress.h"
#include "vit/vit.h"
#include "vit/npy.h"
#include "vit/pooling.h"

namespace vit::tool {
namespace {

const std::vector<std::string> kOutputNames = {"last_hidden_state", "pooler_output", "logits", "cls", "mean",
                                               "pixel_values",      "hidden_states", "attentions"};

struct EmbedArgs {
  ModelArgs model;
  std::string out = ".";
  std::string outputs = "pooler_output";
  int batch_size = 8;
  bool interpolate_pos_encoding = false;
  std::vector<int> image_size;
  bool skip_invalid = false;
  bool exif_transpose = false;
  std::vector<std::string> inputs;
};

std::vector<std::string> ParseOutputs(const std::string& list, const Model& model) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    std::string name = list.substr(start, comma - start);
    start = comma + 1;
    if (name.empty()) continue;
    if (std::find(kOutputNames.begin(), kOutputNames.end(), name) == kOutputNames.end())
      throw Error("--outputs: unknown output '" + name + "'; expected some of last_hidden_state, pooler_output, "
                  "logits, cls, mean, pixel_values, hidden_states, attentions", ErrorKind::kInvalidArgument);
    if (name == "pooler_output" && !model.info().has_pooler)
      throw Error("--outputs pooler_output: this checkpoint has no pooler (no pooler.dense tensors)",
                  ErrorKind::kInvalidArgument);
    if (name == "logits" && !model.info().has_classifier)
      throw Error("--outputs logits: this checkpoint has no classifier (no classifier.* tensors)",
                  ErrorKind::kInvalidArgument);
    if (seen.insert(name).second) names.push_back(name);
  }
  if (names.empty()) throw Error("--outputs names no output", ErrorKind::kInvalidArgument);
  return names;
}

// One batch of inputs, decoded and preprocessed into pixel_values.
struct Batch {
  std::vector<const InputItem*> items;  // the rows that made it
  Tensor pixel_values;
};

class Embedder {
 public:
  Embedder(const EmbedArgs& args, Model& model, std::vector<std::string> outputs)
      : args_(args), model_(model), outputs_(std::move(outputs)), processor_(ProcessorFor(args, model)) {
    decode_.exif_transpose = args.exif_transpose;
  }

  int Run(const std::vector<InputItem>& items) {
    std::filesystem::create_directories(args_.out);
    std::ofstream names(std::filesystem::path(args_.out) / "inputs.txt");
    if (!names) throw Error(args_.out + "/inputs.txt: cannot create", ErrorKind::kIo);
    Progress progress("vit embed", static_cast<int64_t>(items.size()));
    RunOptions run;
    run.output_hidden_states = Wants("hidden_states");
    run.output_attentions = Wants("attentions");
    run.interpolate_pos_encoding = args_.interpolate_pos_encoding;
    const auto planned = static_cast<int64_t>(items.size());
    for (size_t begin = 0; begin < items.size(); begin += static_cast<size_t>(args_.batch_size)) {
      const size_t end = std::min(items.size(), begin + static_cast<size_t>(args_.batch_size));
      Batch batch = Prepare(items, begin, end);
      progress.Update(static_cast<int64_t>(end));
      if (batch.items.empty()) continue;
      ModelOutput out = model_.Run(batch.pixel_values, run);
      Write(batch, out, planned);
      for (const InputItem* item : batch.items) names << item->Name() << '\n';
      rows_ += static_cast<int64_t>(batch.items.size());
    }
    progress.Finish();
    for (auto& [name, writer] : writers_) writer->Finish(rows_);
    names.close();
    if (!names) throw Error(args_.out + "/inputs.txt: write failed", ErrorKind::kIo);
    std::fprintf(stderr, "vit embed: wrote %lld row(s) of %s to %s", static_cast<long long>(rows_), args_.outputs.c_str(),
                 args_.out.c_str());
    if (skipped_ > 0) std::fprintf(stderr, "; skipped %lld invalid input(s)", static_cast<long long>(skipped_));
    std::fprintf(stderr, "\n");
    if (rows_ == 0) throw Error("no input could be read", ErrorKind::kInvalidInput);
    return skipped_ > 0 ? kExitPartial : kExitOk;
  }

 private:
  static ImageProcessor ProcessorFor(const EmbedArgs& args, const Model& model) {
    ImageProcessorConfig config = model.processor().config();
    if (!args.image_size.empty()) {
      config.height = args.image_size[0];
      config.width = args.image_size[1];
    }
    return ImageProcessor(config);
  }

  bool Wants(const std::string& name) const {
    return std::find(outputs_.begin(), outputs_.end(), name) != outputs_.end();
  }

  // Opened once and kept: each batch reads only its own rows from the mapping.
  const NpyReader& NpyFile(const std::filesystem::path& path) {
    auto& reader = npy_files_[path];
    if (!reader) reader = std::make_unique<NpyReader>(path);
    return *reader;
  }

  Batch Prepare(const std::vector<InputItem>& items, size_t begin, size_t end) {
    const auto n = static_cast<int64_t>(end - begin);
    std::vector<Tensor> images(static_cast<size_t>(n));  // [3, H, W] pixel_values of each image
    std::vector<std::string> errors(static_cast<size_t>(n));
    // Decoding and preprocessing are independent per file: spread them over the (one, OpenMP) pool.
    // PreprocessFile streams JPEG rows into the resize, so a large photo is never held whole.
#pragma omp parallel for schedule(dynamic)
    for (int64_t i = 0; i < n; ++i) {
      const InputItem& item = items[begin + static_cast<size_t>(i)];
      if (item.npy_row >= 0) continue;
      try {
        images[static_cast<size_t>(i)] = processor_.PreprocessFile(item.path, decode_);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(i)] = e.what();
      }
    }
    Batch batch;
    std::vector<int64_t> chw;
    std::vector<int64_t> source;  // each kept row's index within this chunk
    for (int64_t i = 0; i < n; ++i) {
      const InputItem& item = items[begin + static_cast<size_t>(i)];
      if (!errors[static_cast<size_t>(i)].empty()) {
        if (!args_.skip_invalid) throw Error(errors[static_cast<size_t>(i)], ErrorKind::kInvalidInput);
        std::fprintf(stderr, "vit embed: skipping %s\n", errors[static_cast<size_t>(i)].c_str());
        ++skipped_;
        continue;
      }
      std::vector<int64_t> shape;
      if (item.npy_row >= 0) {
        const auto& dims = NpyFile(item.path).shape();
        shape = {dims[1], dims[2], dims[3]};
      } else {
        shape = images[static_cast<size_t>(i)].shape();
      }
      if (shape_.empty()) shape_ = shape;
      if (shape != shape_)
        throw Error(item.Name() + ": pixel_values of size " + std::to_string(shape[1]) + "x" + std::to_string(shape[2]) +
                        " cannot share output arrays with earlier inputs of size " + std::to_string(shape_[1]) + "x" +
                        std::to_string(shape_[2]),
                    ErrorKind::kInvalidArgument);
      batch.items.push_back(&item);
      source.push_back(i);
    }
    const auto rows = static_cast<int64_t>(batch.items.size());
    if (rows == 0) return batch;
    batch.pixel_values = Tensor({rows, shape_[0], shape_[1], shape_[2]});
    const int64_t plane = shape_[0] * shape_[1] * shape_[2];
#pragma omp parallel for schedule(dynamic)
    for (int64_t r = 0; r < rows; ++r) {
      const InputItem& item = *batch.items[static_cast<size_t>(r)];
      float* dst = batch.pixel_values.data() + r * plane;
      if (item.npy_row >= 0)
        npy_files_.at(item.path)->ReadRows(item.npy_row, 1, dst);  // opened above
      else
        std::memcpy(dst, images[static_cast<size_t>(source[static_cast<size_t>(r)])].data(),
                    static_cast<size_t>(plane) * sizeof(float));
    }
    return batch;
  }

  NpyWriter& WriterFor(const std::string& name, std::vector<int64_t> shape, int row_axis, int64_t planned) {
    auto it = writers_.find(name);
    if (it == writers_.end()) {
      shape[static_cast<size_t>(row_axis)] = planned;
      it = writers_.emplace(name, std::make_unique<NpyWriter>(std::filesystem::path(args_.out) / (name + ".npy"), shape,
                                                              row_axis)).first;
    }
    return *it->second;
  }

  void Write(const Batch& batch, const ModelOutput& out, int64_t planned) {
    for (const std::string& name : outputs_) {
      if (name == "hidden_states" || name == "attentions") {
        const auto& slices = name == "hidden_states" ? out.hidden_states : out.attentions;
        std::vector<int64_t> shape = slices.front().shape();
        shape.insert(shape.begin(), static_cast<int64_t>(slices.size()));
        WriterFor(name, shape, 1, planned).WriteRows(rows_, slices);
        continue;
      }
      Tensor t = name == "last_hidden_state" ? out.last_hidden_state
                 : name == "pooler_output"   ? out.pooler_output
                 : name == "logits"          ? out.logits
                 : name == "cls"             ? ClsTokens(out.last_hidden_state)
                 : name == "mean"            ? MeanOfPatchTokens(out.last_hidden_state)
                                             : batch.pixel_values;
      WriterFor(name, t.shape(), 0, planned).WriteRows(rows_, t);
    }
  }

  const EmbedArgs& args_;
  Model& model_;
  std::vector<std::string> outputs_;
  ImageProcessor processor_;
  DecodeOptions decode_;
  std::map<std::string, std::unique_ptr<NpyWriter>> writers_;
  std::vector<int64_t> shape_;
  std::map<std::filesystem::path, std::unique_ptr<NpyReader>> npy_files_;
  int64_t rows_ = 0;
  int64_t skipped_ = 0;
};

int RunEmbed(const EmbedArgs& args) {
  const std::vector<InputItem> items = ExpandInputs(args.inputs);
  if (items.empty()) throw Error("no inputs: the folders given hold no image or .npy files", ErrorKind::kInvalidArgument);
  if (!args.image_size.empty() && args.image_size.size() != 2)
    throw Error("--image-size takes two numbers: H W", ErrorKind::kInvalidArgument);
  auto model = LoadModel(args.model.model, args.model.ToLoadOptions());
  Embedder embedder(args, *model, ParseOutputs(args.outputs, *model));
  return embedder.Run(items);
}

}  // namespace

void AddEmbedCommand(CLI::App& app, CommandRunner& run) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Run the model on images or pixel_values and write .npy outputs");
  args->model.AddTo(*cmd);
  cmd->add_option("-o,--out", args->out, "output folder for <output>.npy and inputs.txt")->capture_default_str();
  cmd->add_option("--outputs", args->outputs,
                  "comma-separated: last_hidden_state, pooler_output, logits, cls, mean, pixel_values, "
                  "hidden_states, attentions")
      ->capture_default_str();
  cmd->add_option("-b,--batch-size", args->batch_size, "images per forward pass")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_flag("--interpolate-pos-encoding", args->interpolate_pos_encoding,
                "accept other input sizes (bicubic-interpolated position embeddings, as transformers)");
  cmd->add_option("--image-size", args->image_size, "resize images to H W instead of the model's size")
      ->expected(2)
      ->check(CLI::Range(1, 16384));
  cmd->add_flag("--skip-invalid", args->skip_invalid,
                "report unreadable images on stderr, write the rest, exit with 3");
  cmd->add_flag("--exif-transpose", args->exif_transpose, "apply EXIF orientation (as transformers' pipelines)");
  cmd->add_option("inputs", args->inputs, "image files, folders (recursed, sorted) or pixel_values .npy files")
      ->required();
  cmd->callback([args, &run] { run = [args] { return RunEmbed(*args); }; });
}

}  // namespace vit::tool
