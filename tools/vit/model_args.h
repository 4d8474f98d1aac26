// Flags shared by every command that loads a model: --model, --revision, --offline, --threads,
// --precision.
#pragma once

#include <string>

#include "vit/options.h"

namespace CLI {
class App;
}

namespace vit::tool {

struct ModelArgs {
  std::string model;
  std::string revision;
  bool offline = false;
  int threads = 0;
  std::string precision = "f32";

  void AddTo(CLI::App& command, bool with_precision = true);
  LoadOptions ToLoadOptions() const;
  HubOptions ToHubOptions() const;
};

}  // namespace vit::tool
