#include "verbosity.h"

namespace vit::tool {
namespace {

// The tool's one setting, fixed while the command line is parsed, before any work starts.
Verbosity g_verbosity = Verbosity::kNormal;

}  // namespace

Verbosity CurrentVerbosity() { return g_verbosity; }
void SetVerbosity(Verbosity verbosity) { g_verbosity = verbosity; }

}  // namespace vit::tool
