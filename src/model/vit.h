// THE forward pass of transformers' ViTModel (+ pooler, + ViTForImageClassification's classifier) and of
// the family's other members (DeiT, DINOv2, CLIP and SigLIP vision towers), as a short composition of
// named blocks whose differences are the Family's data (family.h). No ISA code and no file access here:
// kernels do the math, io the files.
#pragma once

#include <chrono>
#include <map>
#include <utility>
#include <vector>

#include "core/threads.h"
#include "model/family.h"
#include "model/precision_policy.h"
#include "model/weights.h"
#include "model/workspace.h"
#include "vit/config.h"
#include "vit/model_output.h"
#include "vit/options.h"
#include "vit/stages.h"
#include "vit/tensor.h"

namespace vit::model {

class ViT {
 public:
  // threads: the size of the pool every Forward runs on, whichever thread calls it; <= 0 for every core.
  ViT(ViTConfig config, ViTWeights weights, int threads = 0)
      : config_(std::move(config)),
        family_(FamilyOf(config_)),
        weights_(std::move(weights)),
        threads_(core::ResolveNumThreads(threads)) {}

  // pixel_values [B, C, H, W]. Not reentrant (one workspace).
  ModelOutput Forward(const Tensor& pixel_values, const RunOptions& options);

  const ViTConfig& config() const { return config_; }
  const Family& family() const { return family_; }
  const ViTWeights& weights() const { return weights_; }
  int threads() const { return threads_; }

 private:
  struct Shape {
    int64_t batch, grid_h, grid_w, patches, tokens;
    int64_t first_patch;  // the index of the first patch token: leading and register tokens come before
  };
  Shape CheckInput(const Tensor& pixel_values, const RunOptions& options) const;
  void Embeddings(const Tensor& pixel_values, const Shape& s, bool interpolate);
  bool Bf16Activations() const { return KernelPrecisionsFor(weights_.precision).bf16_activations; }
  uint16_t* NormedBf16() { return reinterpret_cast<uint16_t*>(ws_.normed_bf16.data()); }
  uint16_t* MlpBf16() { return reinterpret_cast<uint16_t*>(ws_.mlp_bf16.data()); }
  void NormForGemm(const LayerNormWeights& norm, int64_t rows);
  void GemmOnNormed(const kernels::PackedLinear& linear, int64_t rows, float* y, kernels::Epilogue epilogue,
                    int64_t rows_per_scale);
  void SelfAttention(const LayerWeights& layer, const Shape& s, float* probs);
  void Layer(const LayerWeights& layer, const Shape& s, float* probs);
  void SwiGluGate(int64_t rows);
  void ScaledResidual(const float* branch, const Parameter& scale, int64_t rows);
  void AttentionPool(const Shape& s, const float* tokens, float* pooled);
  // Dinov2ForImageClassification's linear_input, [B, 2D], in the workspace.
  const float* ClsAndPatchMean(const Shape& s, const float* tokens);
  void Head(const Shape& s, ModelOutput& out);
  Tensor LastHiddenState(std::vector<int64_t> shape);
  const std::vector<float>& PositionEmbeddings(int64_t grid_h, int64_t grid_w);
  // Runs fn, adding its wall time to `stage` when this run is timed.
  template <typename Fn>
  void Timed(Stage stage, Fn&& fn) {
    if (stage_seconds_ == nullptr) return fn();
    const auto start = std::chrono::steady_clock::now();
    fn();
    (*stage_seconds_)[stage] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  ViTConfig config_;
  Family family_;
  ViTWeights weights_;
  int threads_;
  Workspace ws_;
  // The last run's last_hidden_state, whose storage the next run reuses once the caller has let go of it.
  Tensor last_hidden_state_;
  StageValues* stage_seconds_ = nullptr;  // this run's ModelOutput::stage_seconds when timed
  std::map<std::pair<int64_t, int64_t>, std::vector<float>> interpolated_positions_;
};

}  // namespace vit::model
