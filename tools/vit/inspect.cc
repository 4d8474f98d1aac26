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
#include "vit/error.h"
#include "vit/image_processor.h"
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

// The processor preprocessor_config.json chooses, as JSON; a file it refuses shows as {"error": ...} so
// that the rest of the checkpoint can still be looked at.
nlohmann::json ProcessorJson(const std::string& directory) {
  try {
    const ImageProcessorConfig c = ImageProcessor::FromPretrained(directory).config();
    nlohmann::json j = {{"image_processor_type", c.image_processor_type},
                        {"description", c.Describe()},
                        {"do_resize", c.do_resize},
                        {"resample", c.resample},
                        {"do_center_crop", c.do_center_crop},
                        {"do_rescale", c.do_rescale},
                        {"rescale_factor", c.rescale_factor},
                        {"do_normalize", c.do_normalize},
                        {"image_mean", c.image_mean},
                        {"image_std", c.image_std},
                        {"do_convert_rgb", c.do_convert_rgb}};
    j["size"] = c.shortest_edge > 0 ? nlohmann::json{{"shortest_edge", c.shortest_edge}}
                                    : nlohmann::json{{"height", c.height}, {"width", c.width}};
    if (c.do_center_crop) j["crop_size"] = {{"height", c.crop_height}, {"width", c.crop_width}};
    return j;
  } catch (const Error& e) {
    return {{"error", e.what()}};
  }
}

int RunInspect(const InspectArgs& args) {
  const ModelInspection m = InspectModel(args.model.model, args.model.ToHubOptions());
  const nlohmann::json processor = ProcessorJson(m.directory);
  if (args.json) {
    nlohmann::json out = {{"directory", m.directory},
                          {"config", nlohmann::json::parse(m.config_json)},
                          {"weights_file", m.weights_file},
                          {"weights_bytes", m.weights_bytes},
                          {"num_parameters", m.num_parameters},
                          {"model_type", m.model_type},
                          {"family", m.family}};
    out["processor"] = processor;
    for (const auto& t : m.tensors) out["tensors"].push_back({{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}});
    out["kernel_table"] = KernelTableJson(KernelTable());
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("folder:      %s\n", m.directory.c_str());
  std::printf("family:      %s (model_type %s)\n", m.family.c_str(), m.model_type.c_str());
  std::printf("weights:     %s (%.1f MB)\n", m.weights_file.c_str(), static_cast<double>(m.weights_bytes) / 1e6);
  std::printf("parameters:  %lld (%.1f M)\n", static_cast<long long>(m.num_parameters),
              static_cast<double>(m.num_parameters) / 1e6);
  if (processor.contains("error")) {
    std::printf("processor:   %s\n", processor["error"].get<std::string>().c_str());
  } else {
    std::printf("processor:   %s\n", processor["description"].get<std::string>().c_str());
  }
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
