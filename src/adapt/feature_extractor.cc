// ExtractFeatures: cached lookups first, then the misses through Extract (vit/extract.h), each batch's
// vectors appended to the cache as soon as they exist (so an interrupted run keeps its work).
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "adapt/feature_cache.h"
#include "vit/error.h"
#include "vit/extract.h"
#include "vit/probe.h"

namespace vit {
namespace fs = std::filesystem;
namespace {

std::string StampText(const fs::path& file) {
  try {
    const adapt::FileStamp s = adapt::StampOf(file);
    return std::to_string(s.size) + " " + std::to_string(s.mtime_ns);
  } catch (const Error&) {
    return "absent";
  }
}


// Everything that changes the vectors: the weights, the configs, the precision, the feature kind.
std::string ModelKey(const Model& model, Pooling pooling) {
  const ModelInfo& info = model.info();
  const fs::path dir = info.directory;
  const fs::path weights = fs::path(info.weights_file).is_absolute() ? fs::path(info.weights_file)
                                                                     : dir / info.weights_file;
  std::string key = "vit features v1\n";
  key += "directory " + fs::weakly_canonical(dir).string() + "\n";
  key += "weights " + weights.filename().string() + " " + StampText(weights) + "\n";
  key += "config.json " + StampText(dir / "config.json") + "\n";
  key += "preprocessor_config.json " + StampText(dir / "preprocessor_config.json") + "\n";
  key += std::string("precision ") + PrecisionName(info.precision) + "\n";
  key += std::string("features ") + PoolingName(pooling) + "\n";
  return key;
}

std::string AbsolutePath(const fs::path& file) {
  std::error_code ec;
  fs::path p = fs::absolute(file, ec);
  if (ec) return file.string();
  return p.lexically_normal().string();
}

}  // namespace

fs::path DefaultFeatureCacheDir() {
  if (const char* v = std::getenv("VIT_CACHE"); v && *v) return fs::path(v) / "features";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "vit" / "features";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "vit" / "features";
  return fs::temp_directory_path() / "vit-features";
}

ExtractedFeatures ExtractFeatures(Model& model, std::span<const fs::path> files, const FeatureExtractionOptions& options) {
  if (options.batch_size < 1) throw Error("feature extraction: batch size must be >= 1", ErrorKind::kInvalidArgument);
  RequirePooling(model.info(), options.pooling);
  const int64_t dim = PooledWidth(model.config(), options.pooling);
  std::unique_ptr<adapt::FeatureCache> cache;
  if (!options.cache_dir.empty())
    cache = std::make_unique<adapt::FeatureCache>(options.cache_dir, ModelKey(model, options.pooling), dim);

  const size_t n = files.size();
  std::vector<float> rows(n * static_cast<size_t>(dim));
  std::vector<char> done(n, 0);
  std::vector<std::string> keys(n);
  std::vector<adapt::FileStamp> stamps(n);
  ExtractedFeatures result;
  std::vector<size_t> pending;  // index into files of each input given to Extract
  std::vector<std::optional<std::string>> failure(n);

  for (size_t i = 0; i < n; ++i) {
    keys[i] = AbsolutePath(files[i]);
    try {
      stamps[i] = adapt::StampOf(files[i]);
    } catch (const Error& e) {
      if (!options.skip_invalid) throw;
      failure[i] = e.what();
      continue;
    }
    if (const float* hit = cache ? cache->Find(keys[i], stamps[i]) : nullptr) {
      std::memcpy(rows.data() + i * static_cast<size_t>(dim), hit, static_cast<size_t>(dim) * sizeof(float));
      done[i] = 1;
      ++result.from_cache;
    } else {
      pending.push_back(i);
    }
  }
  const size_t ready = n - pending.size();  // cache hits and unreadable stamps, done before any batch
  if (options.progress) options.progress({ready, n, 0, 0.0});

  std::vector<ExtractInput> inputs;
  inputs.reserve(pending.size());
  for (size_t i : pending) inputs.push_back(ExtractInput::File(files[i]));
  ExtractOptions extract;
  extract.batch_size = options.batch_size;
  extract.pooling = options.pooling;
  extract.skip_invalid = options.skip_invalid;
  extract.decode.exif_transpose = options.exif_transpose;
  extract.cancelled = options.cancelled;
  if (options.progress)
    extract.progress = [&](const ExtractProgress& p) { options.progress({ready + p.done, n, p.skipped, p.elapsed_seconds}); };
  const ExtractSummary summary = Extract(
      model, inputs,
      [&](ExtractedBatch& batch) {
        const Tensor& features = batch.embeddings;
        if (features.rank() != 2 || features.dim(1) != dim)
          throw Error("feature extraction: the model gave " + features.ShapeString() + " features, expected width " +
                          std::to_string(dim),
                      ErrorKind::kInternal);
        for (size_t b = 0; b < batch.indices.size(); ++b) {
          const size_t i = pending[batch.indices[b]];
          const float* v = features.data() + static_cast<int64_t>(b) * dim;
          std::memcpy(rows.data() + i * static_cast<size_t>(dim), v, static_cast<size_t>(dim) * sizeof(float));
          done[i] = 1;
          if (cache) cache->Append(keys[i], stamps[i], v);
        }
      },
      extract);
  for (const SkippedInput& s : summary.skipped) failure[pending[s.index]] = s.reason;
  result.cancelled = summary.cancelled;

  for (size_t i = 0; i < n; ++i) {
    if (done[i]) result.kept.push_back(i);
    else result.skipped.push_back({files[i], failure[i].value_or("not processed")});
  }
  result.features = Tensor({static_cast<int64_t>(result.kept.size()), dim});
  for (size_t r = 0; r < result.kept.size(); ++r)
    std::memcpy(result.features.data() + static_cast<int64_t>(r) * dim,
                rows.data() + result.kept[r] * static_cast<size_t>(dim), static_cast<size_t>(dim) * sizeof(float));
  return result;
}

}  // namespace vit
