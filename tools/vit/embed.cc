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
#include "vit/extract.h"
#include "vit/npy.h"
#include "vit/pooling.h"
#include "vit/vit.h"

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

class Embedder {
 public:
  Embedder(const EmbedArgs& args, Model& model, std::vector<std::string> outputs)
      : args_(args), model_(model), outputs_(std::move(outputs)) {}

  int Run(const std::vector<ExtractInput>& inputs) {
    std::filesystem::create_directories(args_.out);
    std::ofstream names(std::filesystem::path(args_.out) / "inputs.txt");
    if (!names) throw Error(args_.out + "/inputs.txt: cannot create", ErrorKind::kIo);
    Progress progress("vit embed", static_cast<int64_t>(inputs.size()));
    ExtractOptions options;
    options.batch_size = args_.batch_size;
    options.embeddings = false;
    options.run.output_hidden_states = Wants("hidden_states");
    options.run.output_attentions = Wants("attentions");
    options.run.interpolate_pos_encoding = args_.interpolate_pos_encoding;
    options.keep_pixel_values = Wants("pixel_values");
    options.skip_invalid = args_.skip_invalid;
    options.decode.exif_transpose = args_.exif_transpose;
    if (!args_.image_size.empty()) {
      ImageProcessorConfig config = model_.processor().config();
      config.height = args_.image_size[0];
      config.width = args_.image_size[1];
      options.processor = ImageProcessor(config);
    }
    options.progress = [&](const ExtractProgress& p) { progress.Update(static_cast<int64_t>(p.done)); };
    const auto planned = static_cast<int64_t>(inputs.size());
    const ExtractSummary summary = Extract(
        model_, inputs,
        [&](ExtractedBatch& batch) {
          Write(batch, planned);
          for (const std::string& name : batch.names) names << name << '\n';
          rows_ += static_cast<int64_t>(batch.indices.size());
        },
        options);
    progress.Finish();
    for (const SkippedInput& s : summary.skipped) std::fprintf(stderr, "vit embed: skipped %s\n", s.reason.c_str());
    for (auto& [name, writer] : writers_) writer->Finish(rows_);
    names.close();
    if (!names) throw Error(args_.out + "/inputs.txt: write failed", ErrorKind::kIo);
    const auto skipped = static_cast<long long>(summary.skipped.size());
    std::fprintf(stderr, "vit embed: wrote %lld row(s) of %s to %s", static_cast<long long>(rows_), args_.outputs.c_str(),
                 args_.out.c_str());
    if (skipped > 0) std::fprintf(stderr, "; skipped %lld invalid input(s)", skipped);
    std::fprintf(stderr, "\n");
    if (rows_ == 0) throw Error("no input could be read", ErrorKind::kInvalidInput);
    return skipped > 0 ? kExitPartial : kExitOk;
  }

 private:
  bool Wants(const std::string& name) const {
    return std::find(outputs_.begin(), outputs_.end(), name) != outputs_.end();
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

  void Write(const ExtractedBatch& batch, int64_t planned) {
    const ModelOutput& out = batch.output;
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
  std::map<std::string, std::unique_ptr<NpyWriter>> writers_;
  int64_t rows_ = 0;
};

int RunEmbed(const EmbedArgs& args) {
  const std::vector<InputItem> items = ExpandInputs(args.inputs);
  if (items.empty()) throw Error("no inputs: the folders given hold no image or .npy files", ErrorKind::kInvalidArgument);
  if (!args.image_size.empty() && args.image_size.size() != 2)
    throw Error("--image-size takes two numbers: H W", ErrorKind::kInvalidArgument);
  std::vector<ExtractInput> inputs;
  inputs.reserve(items.size());
  for (const InputItem& item : items)
    inputs.push_back(item.npy_row >= 0 ? ExtractInput::PixelValuesRow(item.path, item.npy_row) : ExtractInput::File(item.path));
  auto model = LoadModel(args.model.model, args.model.ToLoadOptions());
  Embedder embedder(args, *model, ParseOutputs(args.outputs, *model));
  return embedder.Run(inputs);
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
