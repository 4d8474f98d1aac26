// vit attention: where the [CLS] token looks. Per input: a map on the patch grid (attention rollout or
// one layer's attention) in DIR/attention_maps.npy, the map over the image as the model saw it in
// DIR/<name>.png, and every head of the chosen layer in DIR/<name>_heads.png.
#include <CLI/CLI.hpp>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "checks.h"
#include "commands.h"
#include "exit_codes.h"
#include "help.h"
#include "inputs.h"
#include "model_args.h"
#include "name_list.h"
#include "progress.h"
#include "verbosity.h"
#include "vit/vit.h"
#include "vit/npy.h"

namespace vit::tool {
namespace {

struct AttentionArgs {
  ModelArgs model;
  std::string out = ".";
  std::string method = "rollout";
  std::string head_fusion = "mean";
  double discard_ratio = 0.0;
  int layer = -1;
  double alpha = 0.6;
  int batch_size = kDefaultBatchSize;
  bool interpolate_pos_encoding = false;
  std::vector<int> image_size;
  bool exif_transpose = false;
  bool no_pictures = false;
  std::vector<std::string> inputs;
};

// A file name for each input: its file name without the extension ("_<row>" for rows of a .npy), with
// characters outside [A-Za-z0-9._-] replaced, and "-2", "-3"... when two inputs would share one.
std::vector<std::string> PictureNames(const std::vector<InputItem>& items) {
  std::vector<std::string> names;
  std::set<std::string> taken;
  for (const InputItem& item : items) {
    std::string base = item.path.stem().string();
    if (item.npy_row >= 0) base += "_" + std::to_string(item.npy_row);
    for (char& c : base)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
    if (base.empty()) base = "image";
    std::string name = base;
    for (int k = 2; taken.count(name) || taken.count(name + "_heads"); ++k) name = base + "-" + std::to_string(k);
    taken.insert(name);
    taken.insert(name + "_heads");
    names.push_back(name);
  }
  return names;
}

int RunAttention(const AttentionArgs& args) {
  const std::vector<InputItem> items = ExpandInputs(args.inputs);
  if (items.empty()) throw Error("no inputs: the folders given hold no image or .npy files", ErrorKind::kInvalidArgument);
  if (!args.image_size.empty() && args.image_size.size() != 2)
    throw Error("--image-size takes two numbers: H W", ErrorKind::kInvalidArgument);
  AttentionMapOptions options;
  options.method = ParseAttentionMethod(args.method);
  options.head_fusion = ParseHeadFusion(args.head_fusion);
  options.discard_ratio = args.discard_ratio;
  options.layer = args.layer;
  auto model = LoadModel(args.model.model, args.model.ToLoadOptions());
  const int layers = static_cast<int>(model->config().num_hidden_layers);
  if (args.layer >= layers || args.layer < -layers)
    throw Error("--layer " + std::to_string(args.layer) + ": the model has " + std::to_string(layers) +
                    " layers (0.." + std::to_string(layers - 1) + ", or -1 for the last)",
                ErrorKind::kInvalidArgument);
  ImageProcessorConfig processor_config = model->processor().config();
  if (!args.image_size.empty()) {
    processor_config = processor_config.ResizedTo(args.image_size[0], args.image_size[1]);
  }
  ExtractOptions extract;
  extract.batch_size = args.batch_size;
  extract.embeddings = false;
  extract.keep_pixel_values = true;
  extract.decode.exif_transpose = args.exif_transpose;
  extract.processor = ImageProcessor(processor_config);
  extract.run.output_attentions = true;
  extract.run.interpolate_pos_encoding = args.interpolate_pos_encoding;
  std::vector<ExtractInput> inputs;
  inputs.reserve(items.size());
  for (const InputItem& item : items)
    inputs.push_back(item.npy_row >= 0 ? ExtractInput::PixelValuesRow(item.path, item.npy_row) : ExtractInput::File(item.path));

  const std::filesystem::path out(args.out);
  std::filesystem::create_directories(out);
  std::ofstream names_file(out / "inputs.txt");
  if (!names_file) throw Error((out / "inputs.txt").string() + ": cannot create", ErrorKind::kIo);
  const std::vector<std::string> picture_names = PictureNames(items);
  std::unique_ptr<NpyWriter> maps_file;
  const int resolved_layer = args.layer < 0 ? args.layer + layers : args.layer;
  const std::string title = "layer " + std::to_string(resolved_layer) + " of " + std::to_string(layers) +
                            ": [CLS] attention of each head";
  Progress progress("vit attention", static_cast<int64_t>(items.size()));
  extract.progress = [&](const ExtractProgress& p) { progress.Update(static_cast<int64_t>(p.done)); };
  Extract(
      *model, inputs,
      [&](ExtractedBatch& batch) {
        const Tensor& pixel_values = batch.pixel_values;
        const auto begin = static_cast<int64_t>(batch.indices.front());  // every input is kept: rows in order
        const auto n = static_cast<int64_t>(batch.indices.size());
        const PatchGridSize grid = PatchGrid(model->config(), pixel_values);
        const Tensor maps = AttentionMaps(batch.output.attentions, grid, options);
        if (!maps_file)
          maps_file = std::make_unique<NpyWriter>(out / "attention_maps.npy",
                                                  std::vector<int64_t>{static_cast<int64_t>(items.size()), grid.height,
                                                                       grid.width});
        maps_file->WriteRows(begin, maps);
        if (!args.no_pictures) {
          const Tensor heads = HeadAttentionMaps(batch.output.attentions, grid, args.layer);
          for (int64_t i = 0; i < n; ++i) {
            const std::string& name = picture_names[static_cast<size_t>(begin + i)];
            const Tensor image = pixel_values.Rows(i, i + 1);
            SavePng(AttentionOverlay(image, maps.Rows(i, i + 1), processor_config, args.alpha), out / (name + ".png"));
            SavePng(AttentionHeadsGrid(image, heads.Rows(i, i + 1), processor_config, title, args.alpha),
                    out / (name + "_heads.png"));
          }
        }
        for (const std::string& name : batch.names) names_file << NameLine(name) << '\n';
      },
      extract);
  progress.Finish();
  maps_file->Finish(static_cast<int64_t>(items.size()));
  names_file.close();
  if (!names_file) throw Error((out / "inputs.txt").string() + ": write failed", ErrorKind::kIo);
  if (!Quiet())
    std::fprintf(stderr, "vit attention: wrote %zu map(s) (%s, heads fused by %s) to %s\n", items.size(),
               AttentionMethodName(options.method), HeadFusionName(options.head_fusion), args.out.c_str());
  return kExitOk;
}

}  // namespace

void AddAttentionCommand(CLI::App& app, CommandRunner& run) {
  auto args = std::make_shared<AttentionArgs>();
  CLI::App* cmd = app.add_subcommand(
      "attention", "Attention maps of the [CLS] token: attention_maps.npy, and overlays and heads as PNG");
  args->model.AddTo(*cmd);
  cmd->add_option("-o,--out", args->out, "output folder for attention_maps.npy, inputs.txt and the PNGs")
      ->capture_default_str();
  cmd->add_option("--method", args->method,
                  "rollout (Abnar & Zuidema: every layer up to --layer) or last (one layer's attention)")
      ->check(CLI::IsMember({"rollout", "last"}))
      ->capture_default_str();
  cmd->add_option("--head-fusion", args->head_fusion, "how each layer's heads combine: mean, max or min")
      ->check(CLI::IsMember({"mean", "max", "min"}))
      ->capture_default_str();
  cmd->add_option("--discard-ratio", args->discard_ratio,
                  "share of each layer's lowest weights set to zero before use, never the [CLS] column; in [0, 1)")
      ->check(cli::NonNegative())
      ->capture_default_str();
  cmd->add_option("--layer", args->layer,
                  "the layer of --method last and of the heads picture, the last one rollout reaches; 0-based, "
                  "negative counts from the end")
      ->capture_default_str();
  cmd->add_option("--alpha", args->alpha, "opacity of the heat map over the image, in [0, 1]")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  AddBatchSizeOption(*cmd, args->batch_size);
  AddImageSizeOptions(*cmd, args->interpolate_pos_encoding, args->image_size);
  cmd->add_flag("--exif-transpose", args->exif_transpose, "apply EXIF orientation (as transformers' pipelines)");
  cmd->add_flag("--no-pictures", args->no_pictures, "write attention_maps.npy and inputs.txt only");
  cmd->add_option("inputs", args->inputs, "image files, folders (recursed, sorted) or pixel_values .npy files")
      ->required();
  cmd->footer(Examples({"vit attention -m google/vit-base-patch16-224 -o maps photos/",
                        "vit attention -m ./my-model --method last --layer -1 --head-fusion max -o maps cat.jpg"},
                       "inputs.txt follows vit embed's rule: names a line cannot hold are JSON strings."));
  cmd->callback([args, &run] { run = [args] { return RunAttention(*args); }; });
}

}  // namespace vit::tool
