#include "model_args.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "checks.h"
#include "verbosity.h"

namespace vit::tool {

void ModelArgs::AddTo(CLI::App& command, bool with_precision) {
  command.add_option("-m,--model", model, "model folder, or hub id org/name[@revision]")->required();
  command.add_option("--revision", revision, "hub branch, tag or commit (default: main)");
  command.add_flag("--offline", offline, "use the Hugging Face cache only (also HF_HUB_OFFLINE=1)");
  command.add_option("--cache-dir", cache_dir, "Hugging Face hub cache (default: HF_HUB_CACHE, else $HF_HOME/hub)");
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
  if (!cache_dir.empty()) hub.cache_dir = cache_dir;
  hub.progress = !Quiet();
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
  const auto start = std::chrono::steady_clock::now();
  auto loaded = Model::Load(model, options);
  const ModelInfo& info = loaded->info();
  if (info.packed_cache.starts_with("not written"))
    std::fprintf(stderr, "vit: warning: packed-weights cache %s\n", info.packed_cache.c_str());
  if (Verbose()) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "vit: model %s: %s %s, %lld parameters, %s, %s%s; loaded in %.2f s\n", model.c_str(),
                 info.family.c_str(), info.weights_file.c_str(), static_cast<long long>(info.num_parameters),
                 PrecisionName(info.precision), info.has_pooler ? "pooler" : "no pooler",
                 info.has_classifier ? ", classifier" : "", seconds);
    std::fprintf(stderr, "vit: GEMM kernel %s%s%s\n", info.gemm_kernel.c_str(),
                 info.packed_cache.empty() ? "" : "; packed-weights cache ", info.packed_cache.c_str());
  }
  return loaded;
}

}  // namespace vit::tool
