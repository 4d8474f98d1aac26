#include "model_args.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "checks.h"

namespace vit::tool {

void ModelArgs::AddTo(CLI::App& command, bool with_precision) {
  command.add_option("-m,--model", model, "model folder, or hub id org/name[@revision]")->required();
  command.add_option("--revision", revision, "hub branch, tag or commit (default: main)");
  command.add_flag("--offline", offline, "use the Hugging Face cache only (also HF_HUB_OFFLINE=1)");
  command.add_option("-t,--threads", threads, "threads (default: every core)")->check(cli::NonNegative());
  command.add_option("--packed-cache", packed_cache,
                     "keep the packed weights in this folder, so later loads map them instead of converting "
                     "(default: $VIT_PACKED_CACHE; \"\" for none)");
  if (with_precision)
    command.add_option("-p,--precision", precision, "f32 | bf16 | int8")
        ->check(CLI::IsMember({"f32", "bf16", "int8"}))
        ->capture_default_str();
}

HubOptions ModelArgs::ToHubOptions() const {
  HubOptions hub;
  hub.revision = revision;
  if (offline) hub.offline = true;
  return hub;
}

LoadOptions ModelArgs::ToLoadOptions() const {
  LoadOptions options;
  options.precision = ParsePrecision(precision);
  options.threads = threads;
  options.hub = ToHubOptions();
  if (packed_cache) options.packed_cache = *packed_cache;
  return options;
}

std::unique_ptr<Model> LoadModel(const std::string& model, const LoadOptions& options) {
  auto loaded = Model::Load(model, options);
  const std::string& cache = loaded->info().packed_cache;
  if (cache.starts_with("not written")) std::fprintf(stderr, "warning: packed-weights cache %s\n", cache.c_str());
  return loaded;
}

}  // namespace vit::tool
