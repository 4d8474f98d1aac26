// vit download: fills the Hugging Face cache with a hub model and prints its snapshot folder, which
// --model then accepts as a folder (or by its id, from the cache, with --offline).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "help.h"
#include "verbosity.h"
#include "exit_codes.h"
#include "vit/hub.h"

namespace vit::tool {
namespace {

struct DownloadArgs {
  std::string id;
  std::string revision;
  std::string cache_dir;
  bool offline = false;
};

int RunDownload(const DownloadArgs& args) {
  HubOptions options;
  options.revision = args.revision;
  if (args.offline) options.offline = true;
  if (!args.cache_dir.empty()) options.cache_dir = args.cache_dir;
  options.progress = !Quiet();
  const std::filesystem::path snapshot = DownloadModel(args.id, options);
  std::printf("%s\n", snapshot.string().c_str());
  return kExitOk;
}

}  // namespace

void AddDownloadCommand(CLI::App& app, CommandRunner& run) {
  auto args = std::make_shared<DownloadArgs>();
  CLI::App* cmd = app.add_subcommand(
      "download",
      "Download a hub model (config, preprocessor config, weights) into the Hugging Face cache and print its "
      "snapshot folder.\nHonours HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME and HF_HUB_OFFLINE.");
  cmd->add_option("id", args->id, "hub id org/name[@revision]")->required();
  cmd->add_option("--revision", args->revision, "branch, tag or commit (default: main)");
  cmd->add_flag("--offline", args->offline, "only check the cache; no network (also HF_HUB_OFFLINE=1)");
  cmd->add_option("--cache-dir", args->cache_dir, "hub cache folder (default: HF_HUB_CACHE, else $HF_HOME/hub)");
  cmd->footer(Examples({"vit download google/vit-base-patch16-224-in21k",
                        "HF_ENDPOINT=https://hf-mirror.example vit download google/vit-base-patch16-224@main"},
                       "Then --model accepts the id (from the cache, also with --offline) or the printed folder."));
  cmd->callback([args, &run] { run = [args] { return RunDownload(*args); }; });
}

}  // namespace vit::tool
