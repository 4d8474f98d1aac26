// vit embed: images or pixel_values in, the model's outputs out (.npy, JSON lines or safetensors), batch by
// batch, replacing the output folder's earlier set as a whole (io/file_set.h).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.h"
#include "embed_writer.h"
#include "exit_codes.h"
#include "help.h"
#include "inputs.h"
#include "io/file_set.h"
#include "model_args.h"
#include "name_list.h"
#include "progress.h"
#include "verbosity.h"
#include "vit/extract.h"
#include "vit/pooling.h"
#include "vit/vit.h"

namespace vit::tool {
namespace {

const std::vector<std::string> kOutputNames = {"last_hidden_state", "pooler_output", "image_embeds",
                                               "logits",            "cls",           "mean",
                                               "pixel_values",      "hidden_states", "attentions"};
constexpr const char* kManifest = "vit-embed.json";

struct EmbedArgs {
  ModelArgs model;
  std::string out = ".";
  std::string outputs;  // empty: the pooled vector
  std::string pooling;  // empty: DefaultPooling
  std::string format = "npy";
  bool normalize = false;
  int batch_size = kDefaultBatchSize;
  bool interpolate_pos_encoding = false;
  std::vector<int> image_size;
  bool skip_invalid = false;
  bool exif_transpose = false;
  std::vector<std::string> inputs;
};

bool IsPooled(const std::string& name) {
  return name == "pooler_output" || name == "image_embeds" || name == "cls" || name == "mean";
}

// --outputs as a list of known names ("pooler" for pooler_output), each checked against the checkpoint;
// --pooling's output first when given, the default pooling's when neither is.
std::vector<std::string> ParseOutputs(const EmbedArgs& args, const Model& model) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  auto add = [&](std::string name) {
    if (name == "pooler") name = "pooler_output";
    if (std::find(kOutputNames.begin(), kOutputNames.end(), name) == kOutputNames.end())
      throw Error("--outputs: unknown output '" + name + "'; expected some of last_hidden_state, pooler_output, "
                  "image_embeds, logits, cls, mean, pixel_values, hidden_states, attentions",
                  ErrorKind::kInvalidArgument);
    if (name == "image_embeds" && !model.info().has_image_embeds)
      throw Error("--outputs image_embeds: " + args.model.model + " has no visual_projection (only CLIPModel and "
                  "CLIPVisionModelWithProjection checkpoints have one)",
                  ErrorKind::kInvalidArgument);
    if (name == "pooler_output" && !model.info().has_pooler)
      throw Error(name + ": " + args.model.model + " has no pooler (no pooler.dense tensors, as in "
                  "ViTForImageClassification checkpoints); use cls or mean",
                  ErrorKind::kInvalidArgument);
    if (name == "logits" && !model.info().has_classifier)
      throw Error("--outputs logits: " + args.model.model + " has no classifier (no classifier.* tensors)",
                  ErrorKind::kInvalidArgument);
    if (seen.insert(name).second) names.push_back(name);
  };
  if (!args.pooling.empty()) add(PoolingOutputName(ParsePooling(args.pooling)));
  for (size_t start = 0; start <= args.outputs.size();) {
    const size_t comma = std::min(args.outputs.find(',', start), args.outputs.size());
    const std::string name = args.outputs.substr(start, comma - start);
    start = comma + 1;
    if (!name.empty()) add(name);
  }
  if (names.empty()) add(PoolingOutputName(DefaultPooling(model.info())));
  return names;
}

std::string Join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ",") + n;
  return s;
}

// JSON lines hold names as JSON strings, which must be UTF-8: refuse before any work what they cannot hold.
void CheckJsonNames(const std::vector<ExtractInput>& inputs) {
  for (const ExtractInput& input : inputs) {
    try {
      (void)nlohmann::json(input.name).dump();
    } catch (const nlohmann::json::exception&) {
      throw Error(input.name + ": the name is not UTF-8, which JSON lines cannot hold; use --format npy or "
                  "safetensors (inputs.txt keeps the bytes)",
                  ErrorKind::kInvalidArgument);
    }
  }
}

int RunEmbed(const EmbedArgs& args) {
  const std::vector<InputItem> items = ExpandInputs(args.inputs);
  if (items.empty()) throw Error("no inputs: the folders given hold no image or .npy files", ErrorKind::kInvalidArgument);
  if (!args.image_size.empty() && args.image_size.size() != 2)
    throw Error("--image-size takes two numbers: H W", ErrorKind::kInvalidArgument);
  std::vector<ExtractInput> inputs;
  inputs.reserve(items.size());
  for (const InputItem& item : items)
    inputs.push_back(item.npy_row >= 0 ? ExtractInput::PixelValuesRow(item.path, item.npy_row) : ExtractInput::File(item.path));
  if (args.format == "jsonl") CheckJsonNames(inputs);
  auto model = LoadModel(args.model.model, args.model.ToLoadOptions());
  const std::vector<std::string> outputs = ParseOutputs(args, *model);
  auto wants = [&](const char* name) { return std::find(outputs.begin(), outputs.end(), name) != outputs.end(); };

  ExtractOptions options;
  options.batch_size = args.batch_size;
  options.embeddings = false;  // pooled below, as each output asks
  options.run.output_hidden_states = wants("hidden_states");
  options.run.output_attentions = wants("attentions");
  options.run.interpolate_pos_encoding = args.interpolate_pos_encoding;
  options.keep_pixel_values = wants("pixel_values");
  options.skip_invalid = args.skip_invalid;
  options.decode.exif_transpose = args.exif_transpose;
  if (!args.image_size.empty()) {
    options.processor = ImageProcessor(model->processor().config().ResizedTo(args.image_size[0], args.image_size[1]));
  }

  // In place: DIR is often the current folder or one the user made (its mode, a mount point, a shell
  // inside it stay), and may hold their data beside the outputs.
  io::FileSet set(args.out, {.manifest = kManifest,
                             .earlier_names = EmbedFileNames(),
                             .earlier_marker = "inputs.txt",
                             .in_place = true});
  std::unique_ptr<EmbedWriter> writer = MakeEmbedWriter(args.format, set, static_cast<int64_t>(inputs.size()));
  const auto names_path = set.Stage("inputs.txt");
  FILE* names = std::fopen(names_path.c_str(), "wb");
  if (!names) throw Error(names_path.string() + ": cannot create: " + std::strerror(errno), ErrorKind::kIo);
  std::unique_ptr<FILE, int (*)(FILE*)> names_closer(names, std::fclose);

  Progress progress("vit embed", static_cast<int64_t>(inputs.size()));
  options.progress = [&](const ExtractProgress& p) { progress.Update(static_cast<int64_t>(p.done)); };
  int64_t rows = 0;
  const ExtractSummary summary = Extract(
      *model, inputs,
      [&](ExtractedBatch& batch) {
        const ModelOutput& out = batch.output;
        std::vector<OutputBlock> blocks;
        for (const std::string& name : outputs) {
          OutputBlock b{name, {}, {}};
          if (name == "hidden_states") b.slices = out.hidden_states;
          else if (name == "attentions") b.slices = out.attentions;
          else if (name == "last_hidden_state") b.tensor = out.last_hidden_state;
          else if (name == "logits") b.tensor = out.logits;
          else if (name == "image_embeds") b.tensor = out.image_embeds.Clone();
          else if (name == "pixel_values") b.tensor = batch.pixel_values;
          else b.tensor = Pool(out, ParsePooling(name));
          if (args.normalize && IsPooled(name)) L2NormalizeRows(b.tensor);
          blocks.push_back(std::move(b));
        }
        writer->Write(rows, blocks, batch.names);
        for (const std::string& name : batch.names) {
          const std::string line = NameLine(name) + "\n";
          if (std::fwrite(line.data(), 1, line.size(), names) != line.size())
            throw Error(names_path.string() + ": cannot write: " + std::strerror(errno), ErrorKind::kIo);
        }
        rows += static_cast<int64_t>(batch.indices.size());
      },
      options);
  progress.Finish();
  for (const SkippedInput& s : summary.skipped) std::fprintf(stderr, "vit embed: skipped %s\n", s.reason.c_str());
  // Nothing replaces the earlier set unless the whole new one is written.
  if (rows == 0) throw Error("no input could be read; " + args.out + " keeps its earlier outputs", ErrorKind::kInvalidInput);
  writer->Finish(rows);
  if (std::fflush(names) != 0 || std::ferror(names))
    throw Error(names_path.string() + ": cannot write: " + std::strerror(errno), ErrorKind::kIo);
  names_closer.reset();
  set.Commit({{"tool", "vit embed"},
              {"rows", rows},
              {"format", args.format},
              {"outputs", outputs},
              {"normalized", args.normalize},
              {"model", args.model.model},
              {"inputs", "inputs.txt"},
              {"skipped", summary.skipped.size()}});
  const auto skipped = static_cast<long long>(summary.skipped.size());
  if (!Quiet()) {
    std::fprintf(stderr, "vit embed: wrote %lld row(s) of %s to %s (%s)", static_cast<long long>(rows),
                 Join(outputs).c_str(), args.out.c_str(), args.format.c_str());
    if (skipped > 0) std::fprintf(stderr, "; skipped %lld invalid input(s)", skipped);
    std::fprintf(stderr, "\n");
  }
  return skipped > 0 ? kExitPartial : kExitOk;
}

}  // namespace

void AddEmbedCommand(CLI::App& app, CommandRunner& run) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Run the model on images or pixel_values and write its outputs");
  args->model.AddTo(*cmd);
  cmd->add_option("-o,--out", args->out,
                  "output folder: <output>.npy (or embeddings.jsonl / embeddings.safetensors), inputs.txt and "
                  "vit-embed.json; an earlier run's set there is replaced whole")
      ->capture_default_str();
  cmd->add_option("--outputs", args->outputs,
                  "comma-separated: last_hidden_state, pooler_output, image_embeds, logits, cls, mean, pixel_values, "
                  "hidden_states, attentions (default: the --pooling vector)");
  AddPoolingOption(*cmd, args->pooling);
  cmd->add_option("-f,--format", args->format, "npy (one file per output) | jsonl (one line per input) | safetensors")
      ->check(CLI::IsMember({"npy", "jsonl", "safetensors"}))
      ->capture_default_str();
  cmd->add_flag("--normalize", args->normalize, "scale pooler_output, cls and mean rows to unit L2 norm");
  AddBatchSizeOption(*cmd, args->batch_size);
  AddImageSizeOptions(*cmd, args->interpolate_pos_encoding, args->image_size);
  cmd->add_flag("--skip-invalid", args->skip_invalid,
                "report unreadable images on stderr, write the rest, exit with 3");
  cmd->add_flag("--exif-transpose", args->exif_transpose, "apply EXIF orientation (as transformers' pipelines)");
  cmd->add_option("inputs", args->inputs, "image files, folders (recursed, sorted) or pixel_values .npy files")
      ->required();
  cmd->footer(Examples({
      "vit embed -m google/vit-base-patch16-224-in21k -o out photos/",
      "vit embed -m ./my-model --outputs cls,mean --normalize -o out a.jpg b.png",
      "vit embed -m google/vit-base-patch16-224 --format jsonl -o out --skip-invalid photos/",
  }, "inputs.txt names row i's input, one per line; a name holding a line break, a tab or another control\n"
     "character, or beginning with '\"', is written as a JSON string (json.loads reads it back)."));
  cmd->callback([args, &run] { run = [args] { return RunEmbed(*args); }; });
}

}  // namespace vit::tool
