// vit: Vision Transformer feature extraction. One file per subcommand; this file is the table.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "commands.h"
#include "exit_codes.h"
#include "help.h"
#include "verbosity.h"
#include "vit/error.h"

int main(int argc, char** argv) {
  using namespace vit::tool;
  CLI::App app{"vit: run Hugging Face Vision Transformers (ViTModel, ViTForImageClassification) on the CPU,\n"
               "with outputs equal to transformers'."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "vit 0.1.0");
  // -q and -v are the top level's, and every command takes them (options fall through to the parent).
  app.fallthrough();
  bool quiet = false, verbose = false;
  auto* q = app.add_flag("-q,--quiet", quiet, "errors and warnings only: no progress, no summary");
  app.add_flag("-v,--verbose", verbose, "progress also when stderr is not a terminal, and details")->excludes(q);
  // Usage errors as every other error: prefixed with the tool's name, then where to find help.
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    // The command that was being parsed: the chain of subcommands chosen under the one that reports.
    std::string command;
    for (const CLI::App* a = failed; a != nullptr;) {
      if (a->get_parent() != nullptr) command += " " + a->get_name();
      const auto chosen = a->get_subcommands();
      a = chosen.empty() ? nullptr : chosen.front();
    }
    return "vit: usage error: " + std::string(e.what()) + "\nRun 'vit" + command + " --help' for more information.\n";
  });
  app.footer(Examples({"vit embed -m google/vit-base-patch16-224-in21k -o out photos/",
                       "vit classify -m google/vit-base-patch16-224 photos/",
                       "vit <command> --help"},
                      "--model is a folder (config.json, preprocessor_config.json, weights) or a hub id\n"
                      "org/name[@revision]. Exit codes: 0 done, 1 failed, 2 bad usage, 3 some inputs skipped."));

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
  SetVerbosity(quiet ? Verbosity::kQuiet : verbose ? Verbosity::kVerbose : Verbosity::kNormal);
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
