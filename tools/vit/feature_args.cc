#include "feature_args.h"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "progress.h"

namespace vit::tool {

void FeatureArgs::AddTo(CLI::App& command, bool with_kind) {
  if (with_kind)
    command.add_option("--features", features, "cls (last_hidden_state[:, 0]) | pooler | mean (of the patch tokens)")
        ->check(CLI::IsMember({"cls", "pooler", "mean"}))
        ->capture_default_str();
  command.add_option("-b,--batch-size", batch_size, "images per forward pass")->check(CLI::Range(1, 4096))->capture_default_str();
  command.add_flag("--skip-invalid", skip_invalid, "report unreadable images on stderr, go on with the rest, exit with 3");
  command.add_flag("--exif-transpose", exif_transpose, "apply EXIF orientation (as transformers' pipelines)");
  command.add_option("--cache-dir", cache_dir,
                     "feature cache folder (default: $VIT_CACHE/features, else ~/.cache/vit/features)");
  command.add_flag("--no-cache", no_cache, "neither read nor write the feature cache");
}

FeatureExtractionOptions FeatureArgs::ToOptions() const {
  FeatureExtractionOptions o;
  o.pooling = ParsePooling(features);
  o.batch_size = batch_size;
  o.skip_invalid = skip_invalid;
  o.exif_transpose = exif_transpose;
  if (!no_cache) o.cache_dir = cache_dir.empty() ? DefaultFeatureCacheDir() : std::filesystem::path(cache_dir);
  return o;
}

ExtractedFeatures FeatureArgs::Extract(Model& model, const std::vector<std::filesystem::path>& files,
                                       const std::string& what) const {
  FeatureExtractionOptions options = ToOptions();
  Progress progress(what + ": features", static_cast<int64_t>(files.size()));
  options.progress = [&](const ExtractProgress& p) { progress.Update(static_cast<int64_t>(p.done)); };
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
