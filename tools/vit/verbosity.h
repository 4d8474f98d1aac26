// How much the tool says on stderr, from the -q/--quiet and -v/--verbose flags every command takes:
// quiet: errors and warnings only; normal: progress on a terminal and one summary line; verbose: progress
// also when stderr is not a terminal (one line per batch) and details (the model's files, kernel, timings).
#pragma once

namespace vit::tool {

enum class Verbosity { kQuiet, kNormal, kVerbose };

Verbosity CurrentVerbosity();
void SetVerbosity(Verbosity verbosity);
inline bool Quiet() { return CurrentVerbosity() == Verbosity::kQuiet; }
inline bool Verbose() { return CurrentVerbosity() == Verbosity::kVerbose; }

}  // namespace vit::tool
