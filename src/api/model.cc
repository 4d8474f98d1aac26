#include "vit/model.h"

#include <cstdlib>
#include <optional>

#include "core/threads.h"
#include "hub/resolve.h"
#include "io/tensor_source.h"
#include "model/config.h"
#include "model/family.h"
#include "model/packed_cache.h"
#include "model/vit.h"
#include "vit/error.h"

namespace vit {

struct Model::Impl {
  ModelInfo info;
  ImageProcessor processor;
  std::unique_ptr<model::ViT> vit;
};

namespace {

std::filesystem::path PackedCacheDir(const LoadOptions& options) {
  if (options.packed_cache) return *options.packed_cache;
  const char* env = std::getenv("VIT_PACKED_CACHE");
  return env != nullptr ? std::filesystem::path(env) : std::filesystem::path();
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::unique_ptr<Model> Model::Load(const std::string& source, const LoadOptions& options) {
  core::SetNumThreads(options.threads);
  auto impl = std::make_unique<Impl>();
  const std::filesystem::path dir = hub::ResolveModel(source, options.hub);
  ViTConfig config = model::LoadConfig(dir);
  impl->processor = ImageProcessor::FromPretrained(dir);
  auto weights_source = io::OpenCheckpoint(dir);
  std::optional<model::PackedCache> cache;
  const std::filesystem::path cache_dir = PackedCacheDir(options);
  if (!cache_dir.empty()) cache.emplace(cache_dir, *weights_source, options.precision);
  model::ViTWeights weights = model::BindWeights(*weights_source, config, options.precision,
                                                 cache ? &*cache : nullptr);
  if (cache) impl->info.packed_cache = cache->Save();
  // Everything is packed now: the mapped file's pages need not stay in this process's memory.
  weights_source->ReleasePages();

  impl->info.source = source;
  impl->info.directory = dir.string();
  impl->info.weights_file = weights_source->path().string();
  impl->info.num_parameters = weights.num_parameters;
  const model::Family family = model::FamilyOf(config);
  impl->info.family = family.name;
  impl->info.has_pooler = weights.pooler.has_value() || weights.attention_pool.has_value() ||
                          family.pooler == model::PoolerKind::kFirstToken ||
                          family.pooler == model::PoolerKind::kNormedFirstToken;
  impl->info.has_image_embeds = weights.visual_projection.has_value();
  // image_embeds' width as bound (config.json may omit projection_dim), 0 without a projection.
  config.projection_dim = weights.visual_projection ? weights.visual_projection->out_features() : 0;
  impl->info.leading_tokens = family.leading_tokens + family.register_tokens;
  impl->info.has_classifier = weights.classifier.has_value();
  impl->info.precision = options.precision;
  if (!weights.layers.empty()) impl->info.gemm_kernel = weights.layers.front().qkv.kernel();
  impl->vit = std::make_unique<model::ViT>(std::move(config), std::move(weights), options.threads);
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

ModelOutput Model::Run(const Tensor& pixel_values, const RunOptions& options) {
  return impl_->vit->Forward(pixel_values, options);
}

ModelOutput Model::Run(std::span<const Image> images, const RunOptions& options) {
  return Run(impl_->processor.Preprocess(images), options);
}

const ViTConfig& Model::config() const { return impl_->vit->config(); }
const ImageProcessor& Model::processor() const { return impl_->processor; }
const ModelInfo& Model::info() const { return impl_->info; }

}  // namespace vit
