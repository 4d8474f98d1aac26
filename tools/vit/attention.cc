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
#include "inputs.h"
#include "model_args.h"
#include "progress.h"
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
  int batch_size = 8;
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
    processor_config.height = args.image_size[0];
    processor_config.width = args.image_size[1];
  }
  const ImageProcessor processor(processor_config);
  DecodeOptions decode;
  decode.exif_transpose = args.exif_transpose;
  RunOptions run;
  run.output_attentions = true;
  run.interpolate_pos_encoding = args.interpolate_pos_encoding;

  const std::filesystem::path out(args.out);
  std::filesystem::create_directories(out);
  std::ofstream names_file(out / "inputs.txt");
  if (!names_file) throw Error((out / "inputs.txt").string() + ": cannot create", ErrorKind::kIo);
  const std::vector<std::string> picture_names = PictureNames(items);
  std::map<std::filesystem::path, std::unique_ptr<NpyReader>> npy_files;
  std::unique_ptr<NpyWriter> maps_file;
  std::vector<int64_t> input_shape;
  const int resolved_layer = args.layer < 0 ? args.layer + layers : args.layer;
  const std::string title = "layer " + std::to_string(resolved_layer) + " of " + std::to_string(layers) +
                            ": [CLS] attention of each head";
  Progress progress("vit attention", static_cast<int64_t>(items.size()));
  const auto batch_size = static_cast<size_t>(args.batch_size);
  for (size_t begin = 0; begin < items.size(); begin += batch_size) {
    const size_t end = std::min(items.size(), begin + batch_size);
    const auto n = static_cast<int64_t>(end - begin);
    std::vector<Tensor> rows(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const InputItem& item = items[begin + static_cast<size_t>(i)];
      if (item.npy_row < 0) {
        rows[static_cast<size_t>(i)] = processor.PreprocessFile(item.path, decode);
        continue;
      }
      auto& reader = npy_files[item.path];
      if (!reader) reader = std::make_unique<NpyReader>(item.path);
      const auto& dims = reader->shape();
      Tensor row({dims[1], dims[2], dims[3]});
      reader->ReadRows(item.npy_row, 1, row.data());
      rows[static_cast<size_t>(i)] = row;
    }
    if (input_shape.empty()) input_shape = rows[0].shape();
    Tensor pixel_values({n, input_shape[0], input_shape[1], input_shape[2]});
    const int64_t plane = rows[0].numel();
    for (int64_t i = 0; i < n; ++i) {
      const Tensor& row = rows[static_cast<size_t>(i)];
      if (row.shape() != input_shape)
        throw Error(items[begin + static_cast<size_t>(i)].Name() + ": pixel_values " + row.ShapeString() +
                        " cannot share attention_maps.npy with earlier inputs of " + rows[0].ShapeString(),
                    ErrorKind::kInvalidArgument);
      std::memcpy(pixel_values.data() + i * plane, row.data(), static_cast<size_t>(plane) * sizeof(float));
    }
    const ModelOutput output = model->Run(pixel_values, run);
    const PatchGridSize grid = PatchGrid(model->config(), pixel_values);
    const Tensor maps = AttentionMaps(output.attentions, grid, options);
    if (!maps_file)
      maps_file = std::make_unique<NpyWriter>(out / "attention_maps.npy",
                                              std::vector<int64_t>{static_cast<int64_t>(items.size()), grid.height,
                                                                   grid.width});
    maps_file->WriteRows(static_cast<int64_t>(begin), maps);
    if (!args.no_pictures) {
      const Tensor heads = HeadAttentionMaps(output.attentions, grid, args.layer);
      for (int64_t i = 0; i < n; ++i) {
        const std::string& name = picture_names[begin + static_cast<size_t>(i)];
        const Tensor image = pixel_values.Rows(i, i + 1);
        SavePng(AttentionOverlay(image, maps.Rows(i, i + 1), processor_config, args.alpha), out / (name + ".png"));
        SavePng(AttentionHeadsGrid(image, heads.Rows(i, i + 1), processor_config, title, args.alpha),
                out / (name + "_heads.png"));
      }
    }
    for (size_t i = begin; i < end; ++i) names_file << items[i].Name() << '\n';
    progress.Update(static_cast<int64_t>(end));
  }
  progress.Finish();
  maps_file->Finish(static_cast<int64_t>(items.size()));
  names_file.close();
  if (!names_file) throw Error((out / "inputs.txt").string() + ": write failed", ErrorKind::kIo);
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
  cmd->add_option("-b,--batch-size", args->batch_size, "images per forward pass")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_flag("--interpolate-pos-encoding", args->interpolate_pos_encoding,
                "accept other input sizes (bicubic-interpolated position embeddings, as transformers)");
  cmd->add_option("--image-size", args->image_size, "resize images to H W instead of the model's size")
      ->expected(2)
      ->allow_extra_args(false)  // exactly two: the inputs may follow
      ->check(CLI::Range(1, 16384));
  cmd->add_flag("--exif-transpose", args->exif_transpose, "apply EXIF orientation (as transformers' pipelines)");
  cmd->add_flag("--no-pictures", args->no_pictures, "write attention_maps.npy and inputs.txt only");
  cmd->add_option("inputs", args->inputs, "image files, folders (recursed, sorted) or pixel_values .npy files")
      ->required();
  cmd->callback([args, &run] { run = [args] { return RunAttention(*args); }; });
}

}  // namespace vit::tool
