// The subcommands of `vit`. Each Add*Command registers its CLI11 subcommand with its flags and help,
// and, when that subcommand is chosen, sets `run` to the function that does the work and returns the
// exit code. Every command uses the public API only.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace vit::tool {

using CommandRunner = std::function<int()>;

void AddEmbedCommand(CLI::App& app, CommandRunner& run);
void AddInspectCommand(CLI::App& app, CommandRunner& run);
void AddDownloadCommand(CLI::App& app, CommandRunner& run);
void AddBenchCommand(CLI::App& app, CommandRunner& run);
void AddServeCommand(CLI::App& app, CommandRunner& run);
void AddProbeCommand(CLI::App& app, CommandRunner& run);
void AddClassifyCommand(CLI::App& app, CommandRunner& run);
void AddIndexCommand(CLI::App& app, CommandRunner& run);
void AddDedupCommand(CLI::App& app, CommandRunner& run);
void AddAttentionCommand(CLI::App& app, CommandRunner& run);

}  // namespace vit::tool
