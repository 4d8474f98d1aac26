#include "model_args.h"

#include <CLI/CLI.hpp>

namespace vit::tool {

void ModelArgs::AddTo(CLI::App& command, bool with_precision) {
  command.add_option("-m,--model", model, "model folder, or hub id org/name[@revision]")->required();
  command.add_option("--revision", revision, "hub branch, tag or commit (default: main)");
  command.add_flag("--offline", offline, "use the Hugging Face cache only (also HF_HUB_OFFLINE=1)");
  command.add_option("-t,--threads", threads, "threads (default: every core)")->check(CLI::NonNegativeNumber);
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
  return options;
}

}  // namespace vit::tool
