// vit classify: top-k labels with softmax scores, as JSON lines {"file", "labels": [{"label", "score"}]},
// from a ViTForImageClassification checkpoint's own classifier or from a probe head (--head).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.h"
#include "exit_codes.h"
#include "feature_args.h"
#include "help.h"
#include "model_args.h"
#include "progress.h"
#include "vit/extract.h"
#include "vit/probe.h"
#include "vit/vit.h"

namespace vit::tool {
namespace {

struct ClassifyArgs {
  ModelArgs model;
  std::string head;
  int top_k = 5;
  int batch_size = kDefaultBatchSize;
  bool skip_invalid = false;
  bool exif_transpose = false;
  std::vector<std::string> inputs;
};

int RunClassify(const ClassifyArgs& args) {
  const std::vector<std::filesystem::path> files = ListImageFiles(args.inputs);
  std::optional<LinearHead> head;
  if (!args.head.empty()) head = LinearHead::Load(args.head);
  auto model = LoadModel(args.model.model, args.model.ToLoadOptions());

  std::vector<std::string> id2label;
  if (head) {
    RequirePooling(model->info(), head->features);
    const int64_t width = PooledWidth(model->config(), head->features);
    if (width != head->hidden_size())
      throw Error(args.head + " takes " + std::to_string(head->hidden_size()) + "-wide " +
                      PoolingName(head->features) + " features but " + args.model.model + " gives " +
                      std::to_string(width) + "-wide ones (the head was trained on " + head->model + ")",
                  ErrorKind::kInvalidArgument);
    if (!head->model.empty() && head->model != ModelReference(args.model.model))
      std::fprintf(stderr, "vit classify: note: %s was trained on %s, not %s\n", args.head.c_str(), head->model.c_str(),
                   args.model.model.c_str());
    id2label = head->id2label;
  } else {
    if (!model->info().has_classifier)
      throw Error(args.model.model + " has no classification head (no classifier.* tensors); pass --head with a "
                  "probe trained by `vit probe train`",
                  ErrorKind::kInvalidArgument);
    id2label = model->config().id2label;
  }

  ExtractOptions options;
  options.batch_size = args.batch_size;
  options.embeddings = head.has_value();
  if (head) options.pooling = head->features;
  options.skip_invalid = args.skip_invalid;
  options.decode.exif_transpose = args.exif_transpose;
  Progress progress("vit classify", static_cast<int64_t>(files.size()));
  options.progress = [&](const ExtractProgress& p) { progress.Update(static_cast<int64_t>(p.done)); };
  int64_t written = 0;
  const std::vector<ExtractInput> inputs = FileInputs(files);
  const ExtractSummary summary = Extract(
      *model, inputs,
      [&](ExtractedBatch& batch) {
        const Tensor logits = head ? head->Logits(batch.embeddings) : batch.output.logits;
        const auto top = TopLabels(logits, id2label, args.top_k);
        for (size_t r = 0; r < batch.indices.size(); ++r) {
          nlohmann::json labels = nlohmann::json::array();
          for (const LabelScore& l : top[r]) labels.push_back({{"label", l.label}, {"score", l.score}});
          const nlohmann::json line = {{"file", files[batch.indices[r]].string()}, {"labels", labels}};
          std::printf("%s\n", line.dump().c_str());
          ++written;
        }
        std::fflush(stdout);
      },
      options);
  progress.Finish();
  for (const SkippedInput& s : summary.skipped) std::fprintf(stderr, "vit classify: skipped %s\n", s.reason.c_str());
  const size_t skipped = summary.skipped.size();
  if (written == 0) throw Error("no input could be read", ErrorKind::kInvalidInput);
  return skipped > 0 ? kExitPartial : kExitOk;
}

}  // namespace

void AddClassifyCommand(CLI::App& app, CommandRunner& run) {
  auto args = std::make_shared<ClassifyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "classify", "Top-k labels of images (JSON lines) from a ViTForImageClassification checkpoint or a probe head");
  args->model.AddTo(*cmd);
  cmd->add_option("--head", args->head, "probe head folder (vit probe train); default: the checkpoint's classifier");
  cmd->add_option("-k,--top-k", args->top_k, "labels per image")->check(CLI::Range(1, 1000000))->capture_default_str();
  AddBatchSizeOption(*cmd, args->batch_size);
  cmd->add_flag("--skip-invalid", args->skip_invalid, "report unreadable images on stderr, classify the rest, exit with 3");
  cmd->add_flag("--exif-transpose", args->exif_transpose, "apply EXIF orientation (as transformers' pipelines)");
  cmd->add_option("inputs", args->inputs, "image files or folders (recursed, sorted)")->required();
  cmd->footer(Examples({"vit classify -m google/vit-base-patch16-224 -k 3 photos/",
                        "vit classify -m google/vit-base-patch16-224-in21k --head head photos/ > labels.jsonl"}));
  cmd->callback([args, &run] { run = [args] { return RunClassify(*args); }; });
}

}  // namespace vit::tool
