// vit dedup: groups of near-duplicate images (cosine similarity of their embeddings >= --threshold,
// joined transitively), as one JSON document on stdout.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "exit_codes.h"
#include "feature_args.h"
#include "help.h"
#include "model_args.h"
#include "vit/index.h"
#include "vit/probe.h"
#include "vit/vit.h"

namespace vit::tool {
namespace {

struct DedupArgs {
  ModelArgs model;
  FeatureArgs extraction;
  float threshold = 0.95f;
  std::vector<std::string> inputs;
};

int RunDedup(const DedupArgs& args) {
  const std::vector<std::filesystem::path> files = ListImageFiles(args.inputs);
  auto model = LoadModel(args.model.model, args.model.ToLoadOptions());
  const Pooling pooling = args.extraction.PoolingOr(DefaultPooling(model->info()));
  const ExtractedFeatures features = args.extraction.Extract(*model, files, "vit dedup", pooling);
  const auto groups = FindNearDuplicates(features.features, args.threshold);
  nlohmann::json out_groups = nlohmann::json::array();
  for (const auto& group : groups) {
    nlohmann::json names = nlohmann::json::array();
    for (int64_t row : group) names.push_back(files[features.kept[static_cast<size_t>(row)]].string());
    out_groups.push_back({{"files", names}});
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const SkippedFile& s : features.skipped) skipped.push_back(s.file.string());
  const nlohmann::json out = {{"model", args.model.model},  {"features", PoolingName(pooling)},
                              {"threshold", args.threshold}, {"images", features.kept.size()},
                              {"groups", out_groups},        {"skipped", skipped}};
  std::printf("%s\n", out.dump(2).c_str());
  return features.skipped.empty() ? kExitOk : kExitPartial;
}

}  // namespace

void AddDedupCommand(CLI::App& app, CommandRunner& run) {
  auto args = std::make_shared<DedupArgs>();
  CLI::App* cmd = app.add_subcommand("dedup", "Find groups of near-duplicate images (JSON)");
  args->model.AddTo(*cmd);
  args->extraction.AddTo(*cmd);
  cmd->add_option("--threshold", args->threshold, "cosine similarity at or above which two images are duplicates")
      ->check(CLI::Range(-1.0f, 1.0f))
      ->capture_default_str();
  cmd->add_option("inputs", args->inputs, "image files or folders (recursed, sorted)")->required();
  cmd->footer(Examples({"vit dedup -m google/vit-base-patch16-224-in21k photos/",
                        "vit dedup -m ./my-model --pooling cls --threshold 0.98 photos/ > groups.json"}));
  cmd->callback([args, &run] { run = [args] { return RunDedup(*args); }; });
}

}  // namespace vit::tool
