// Flags shared by the commands that turn images into feature vectors (probe train, index, dedup):
// --pooling, batching, the feature cache, invalid inputs; and the extraction with a progress bar.
#pragma once

#include <string>
#include <vector>

#include "vit/probe.h"

namespace CLI {
class App;
}

namespace vit::tool {

struct FeatureArgs {
  std::string pooling;  // empty: the command's default (see ToOptions)
  int batch_size = kDefaultBatchSize;
  bool skip_invalid = false;
  bool exif_transpose = false;
  std::string feature_cache;
  bool no_feature_cache = false;

  // with_pooling: offer --pooling (commands that read it from an index file do not). `default_text`
  // names the default in the help.
  void AddTo(CLI::App& command, bool with_pooling = true,
             const std::string& default_text = "image_embeds when the checkpoint has them (CLIP), else pooler when it has one, else cls");
  // `fallback`: the pooling when --pooling is not given.
  FeatureExtractionOptions ToOptions(Pooling fallback) const;
  // Extracts with a progress bar; reports skipped files on stderr prefixed with `what`.
  ExtractedFeatures Extract(Model& model, const std::vector<std::filesystem::path>& files, const std::string& what,
                            Pooling pooling) const;
  // --pooling if given, else `fallback`.
  Pooling PoolingOr(Pooling fallback) const;
};

// What a head or an index records as its model: a local folder as an absolute path (so that it still
// resolves from another working directory), a hub id as given.
std::string ModelReference(const std::string& model);

}  // namespace vit::tool
