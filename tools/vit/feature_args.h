// Flags shared by the commands that turn images into feature vectors (probe train, index, dedup):
// which features, batching, the feature cache, invalid inputs; and the extraction with a progress bar.
#pragma once

#include <string>
#include <vector>

#include "vit/probe.h"

namespace CLI {
class App;
}

namespace vit::tool {

struct FeatureArgs {
  std::string features = "cls";
  int batch_size = 16;
  bool skip_invalid = false;
  bool exif_transpose = false;
  std::string cache_dir;
  bool no_cache = false;

  // with_kind: offer --features (commands that read it from an index file do not).
  void AddTo(CLI::App& command, bool with_kind = true);
  FeatureExtractionOptions ToOptions() const;
  // Extracts with a progress bar; reports skipped files on stderr prefixed with `what`.
  ExtractedFeatures Extract(Model& model, const std::vector<std::filesystem::path>& files, const std::string& what) const;
};

// What a head or an index records as its model: a local folder as an absolute path (so that it still
// resolves from another working directory), a hub id as given.
std::string ModelReference(const std::string& model);

}  // namespace vit::tool
