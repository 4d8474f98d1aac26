// vit: Vision Transformer feature extraction. One file per subcommand; this file is the table.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "commands.h"
#include "exit_codes.h"
#include "vit/error.h"

int main(int argc, char** argv) {
  using namespace vit::tool;
  CLI::App app{"vit: run Hugging Face Vision Transformers (ViTModel, ViTForImageClassification) on the CPU,\n"
               "with outputs equal to transformers'."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "vit 0.1.0");

  CommandRunner run;
  AddEmbedCommand(app, run);
  AddInspectCommand(app, run);
  AddDownloadCommand(app, run);
  AddBenchCommand(app, run);
  AddServeCommand(app, run);
  AddProbeCommand(app, run);
  AddClassifyCommand(app, run);
  AddIndexCommand(app, run);
  AddDedupCommand(app, run);
  AddAttentionCommand(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    return run ? run() : kExitUsage;
  } catch (const vit::Error& e) {
    std::fprintf(stderr, "vit: error: %s\n", e.what());
    return e.kind() == vit::ErrorKind::kInvalidArgument ? kExitUsage : kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vit: error: %s\n", e.what());
    return kExitError;
  }
}
