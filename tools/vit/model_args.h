// Flags shared by every command that loads a model: --model, --revision, --offline, --threads,
// --precision, --packed-cache, --cache-dir (the Hugging Face hub cache, in every command).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "vit/model.h"
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
  std::optional<std::string> packed_cache;
  std::string cache_dir;

  void AddTo(CLI::App& command, bool with_precision = true);
  LoadOptions ToLoadOptions() const;
  HubOptions ToHubOptions() const;
};

// Model::Load, with a warning on stderr when the packed-weights cache could not be written (the load
// itself still succeeds).
std::unique_ptr<Model> LoadModel(const std::string& model, const LoadOptions& options);

}  // namespace vit::tool
