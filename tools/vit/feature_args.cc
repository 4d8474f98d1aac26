#include "feature_args.h"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "help.h"
#include "progress.h"
#include "verbosity.h"

namespace vit::tool {

void FeatureArgs::AddTo(CLI::App& command, bool with_pooling, const std::string& default_text) {
  if (with_pooling) AddPoolingOption(command, pooling, default_text);
  AddBatchSizeOption(command, batch_size);
  command.add_flag("--skip-invalid", skip_invalid, "report unreadable images on stderr, go on with the rest, exit with 3");
  command.add_flag("--exif-transpose", exif_transpose, "apply EXIF orientation (as transformers' pipelines)");
  command.add_option("--feature-cache", feature_cache,
                     "feature cache folder (default: $VIT_CACHE/features, else ~/.cache/vit/features)");
  command.add_flag("--no-feature-cache", no_feature_cache, "neither read nor write the feature cache");
  command.add_flag("--no-cache", no_feature_cache, "the same as --no-feature-cache")->group("");
}

Pooling FeatureArgs::PoolingOr(Pooling fallback) const { return pooling.empty() ? fallback : ParsePooling(pooling); }

FeatureExtractionOptions FeatureArgs::ToOptions(Pooling pooling_to_use) const {
  FeatureExtractionOptions o;
  o.pooling = pooling_to_use;
  o.batch_size = batch_size;
  o.skip_invalid = skip_invalid;
  o.exif_transpose = exif_transpose;
  if (!no_feature_cache)
    o.cache_dir = feature_cache.empty() ? DefaultFeatureCacheDir() : std::filesystem::path(feature_cache);
  return o;
}

ExtractedFeatures FeatureArgs::Extract(Model& model, const std::vector<std::filesystem::path>& files,
                                       const std::string& what, Pooling pooling_to_use) const {
  FeatureExtractionOptions options = ToOptions(pooling_to_use);
  Progress progress(what + ": features", static_cast<int64_t>(files.size()));
  bool started = false;
  options.progress = [&](const ExtractProgress& p) {
    if (!started) {
      started = true;
      progress.Start(static_cast<int64_t>(p.done));  // cache hits: done, but not in the rate
    } else {
      progress.Update(static_cast<int64_t>(p.done));
    }
  };
  ExtractedFeatures out = ExtractFeatures(model, files, options);
  progress.Finish();
  for (const SkippedFile& s : out.skipped) std::fprintf(stderr, "%s: skipped %s\n", what.c_str(), s.reason.c_str());
  return out;
}

std::string ModelReference(const std::string& model) {
  std::error_code ec;
  if (model.empty() || !std::filesystem::is_directory(model, ec)) return model;
  const std::filesystem::path absolute = std::filesystem::absolute(model, ec);
  return ec ? model : absolute.lexically_normal().string();
}

}  // namespace vit::tool
