// vit inspect: what a checkpoint holds, without running it.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "help.h"
#include "exit_codes.h"
#include "model_args.h"
#include "kernel_table_json.h"
#include "vit/inspect.h"
#include "vit/kernel_table.h"

namespace vit::tool {
namespace {

struct InspectArgs {
  ModelArgs model;
  bool json = false;
};

std::string Shape(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int RunInspect(const InspectArgs& args) {
  const ModelInspection m = InspectModel(args.model.model, args.model.ToHubOptions());
  if (args.json) {
    nlohmann::json out = {{"directory", m.directory},
                          {"config", nlohmann::json::parse(m.config_json)},
                          {"weights_file", m.weights_file},
                          {"weights_bytes", m.weights_bytes},
                          {"num_parameters", m.num_parameters}};
    for (const auto& t : m.tensors) out["tensors"].push_back({{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}});
    out["kernel_table"] = KernelTableJson(KernelTable());
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("folder:      %s\n", m.directory.c_str());
  std::printf("weights:     %s (%.1f MB)\n", m.weights_file.c_str(), static_cast<double>(m.weights_bytes) / 1e6);
  std::printf("parameters:  %lld (%.1f M)\n", static_cast<long long>(m.num_parameters),
              static_cast<double>(m.num_parameters) / 1e6);
  std::printf("config.json:\n%s\n", nlohmann::json::parse(m.config_json).dump(2).c_str());
  std::printf("tensors (%zu):\n", m.tensors.size());
  for (const auto& t : m.tensors) std::printf("  %-70s %-5s %s\n", t.name.c_str(), t.dtype.c_str(), Shape(t.shape).c_str());
  std::printf("kernels on this CPU:\n%s", FormatKernelTable(KernelTable()).c_str());
  return kExitOk;
}

}  // namespace

void AddInspectCommand(CLI::App& app, CommandRunner& run) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show a checkpoint's config, parameter count and tensors");
  args->model.AddTo(*cmd, /*with_precision=*/false);
  cmd->add_flag("--json", args->json, "print JSON instead of text");
  cmd->footer(Examples({"vit inspect -m google/vit-base-patch16-224", "vit inspect -m ./my-model --json"}));
  cmd->callback([args, &run] { run = [args] { return RunInspect(*args); }; });
}

}  // namespace vit::tool
