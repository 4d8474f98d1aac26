#include "model/vit.h"

#include <cmath>
#include <cstring>

#include "core/threads.h"
#include "kernels/attention.h"
#include "kernels/layer_norm.h"
#include "model/position_embeddings.h"
#include "model/precision_policy.h"
#include "vit/error.h"

namespace vit::model {
namespace {

using kernels::Epilogue;

// Conv2d(kernel = stride = patch) as a GEMM: each patch becomes one row, laid out (c, ky, kx) to match the
// conv weight's [D, C, p, p] flattening. Trailing pixels that fill no whole patch are dropped, as the conv does.
void ExtractPatches(const float* pixels, int64_t batch, int64_t channels, int64_t height, int64_t width,
                    int64_t patch, int64_t grid_h, int64_t grid_w, float* rows) {
  const int64_t row_len = channels * patch * patch;
  core::ParallelFor(batch * grid_h, [&](int64_t bg) {
    const int64_t b = bg / grid_h, gy = bg % grid_h;
    for (int64_t gx = 0; gx < grid_w; ++gx) {
      float* row = rows + ((b * grid_h + gy) * grid_w + gx) * row_len;
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t ky = 0; ky < patch; ++ky) {
          const float* src = pixels + ((b * channels + c) * height + gy * patch + ky) * width + gx * patch;
          std::memcpy(row + (c * patch + ky) * patch, src, static_cast<size_t>(patch) * sizeof(float));
        }
    }
  });
}

}  // namespace

ViT::Shape ViT::CheckInput(const Tensor& pixel_values, const RunOptions& options) const {
  const ViTConfig& c = config_;
  if (pixel_values.rank() != 4)
    throw Error("pixel_values must be [batch, channels, height, width], got " + pixel_values.ShapeString(),
                ErrorKind::kInvalidArgument);
  const int64_t batch = pixel_values.dim(0), channels = pixel_values.dim(1);
  const int64_t height = pixel_values.dim(2), width = pixel_values.dim(3);
  if (channels != c.num_channels)
    throw Error("pixel_values has " + std::to_string(channels) + " channels, the model expects " +
                    std::to_string(c.num_channels) + " (config.json num_channels)",
                ErrorKind::kInvalidArgument);
  if (!options.interpolate_pos_encoding && (height != c.image_size || width != c.image_size))
    throw Error("Input image size (" + std::to_string(height) + "*" + std::to_string(width) +
                    ") doesn't match model (" + std::to_string(c.image_size) + "*" + std::to_string(c.image_size) +
                    "); resize to it or use interpolate_pos_encoding",
                ErrorKind::kInvalidArgument);
  const int64_t grid_h = height / c.patch_size, grid_w = width / c.patch_size;
  if (grid_h == 0 || grid_w == 0)
    throw Error("pixel_values " + pixel_values.ShapeString() + " is smaller than one " + std::to_string(c.patch_size) +
                    "-pixel patch",
                ErrorKind::kInvalidArgument);
  if (batch == 0) throw Error("pixel_values has an empty batch", ErrorKind::kInvalidArgument);
  return {batch, grid_h, grid_w, grid_h * grid_w, grid_h * grid_w + 1};
}

const std::vector<float>& ViT::PositionEmbeddings(int64_t grid_h, int64_t grid_w) {
  auto key = std::make_pair(grid_h, grid_w);
  auto it = interpolated_positions_.find(key);
  if (it == interpolated_positions_.end()) {
    const auto side = static_cast<int64_t>(std::sqrt(static_cast<double>(config_.num_patches())));
    it = interpolated_positions_
             .emplace(key, InterpolatePositionEmbeddings(weights_.position_embeddings.get(), side, config_.hidden_size,
                                                         grid_h, grid_w))
             .first;
  }
  return it->second;
}

void ViT::Embeddings(const Tensor& pixel_values, const Shape& s, bool interpolate) {
  const ViTConfig& c = config_;
  const int64_t d = c.hidden_size;
  // embeddings = self.patch_embeddings(pixel_values): conv as im2col + GEMM
  float* patches = ws_.patches.Reserve(static_cast<size_t>(s.batch * s.patches * c.num_channels * c.patch_size * c.patch_size));
  ExtractPatches(pixel_values.data(), s.batch, c.num_channels, pixel_values.dim(2), pixel_values.dim(3), c.patch_size,
                 s.grid_h, s.grid_w, patches);
  float* embeds = ws_.patch_embeds.Reserve(static_cast<size_t>(s.batch * s.patches * d));
  weights_.patch_projection.Forward(patches, s.batch * s.patches, embeds, Epilogue::kBias, s.patches);

  // embeddings = torch.cat((cls_tokens, embeddings), dim=1) + position_embeddings (interpolated if asked;
  // at the native grid the interpolation is the identity, as transformers short-cuts it)
  const bool native = s.grid_h * s.grid_w == c.num_patches() && s.grid_h == s.grid_w;
  const float* pos = (interpolate && !native) ? PositionEmbeddings(s.grid_h, s.grid_w).data()
                                              : weights_.position_embeddings.get();
  float* hidden = ws_.hidden.data();
  core::ParallelFor(s.batch * s.tokens, [&](int64_t bt) {
    const int64_t b = bt / s.tokens, t = bt % s.tokens;
    const float* src = t == 0 ? weights_.cls_token.get() : embeds + (b * s.patches + t - 1) * d;
    const float* p = pos + t * d;
    float* dst = hidden + bt * d;
    for (int64_t k = 0; k < d; ++k) dst[k] = src[k] + p[k];
  });
}

// The LayerNorm in front of a GEMM. A bf16 model's GEMMs take bf16, so its LayerNorm writes bf16 directly
// (the same rounding the GEMM would apply to a float input, one pass over the rows fewer).
void ViT::NormForGemm(const LayerNormWeights& norm, int64_t rows) {
  const int64_t d = config_.hidden_size;
  const float eps = static_cast<float>(config_.layer_norm_eps);
  if (Bf16Activations()) {
    kernels::LayerNormToBf16(ws_.hidden.data(), rows, d, norm.weight.get(), norm.bias.get(), eps, NormedBf16());
  } else {
    kernels::LayerNorm(ws_.hidden.data(), rows, d, norm.weight.get(), norm.bias.get(), eps, ws_.normed.data());
  }
}

void ViT::GemmOnNormed(const kernels::PackedLinear& linear, int64_t rows, float* y, Epilogue epilogue,
                       int64_t rows_per_scale) {
  if (Bf16Activations()) {
    linear.Forward(NormedBf16(), rows, y, epilogue);
  } else {
    linear.Forward(ws_.normed.data(), rows, y, epilogue, rows_per_scale);
  }
}

void ViT::SelfAttention(const LayerWeights& layer, const Shape& s, float* probs) {
  const int64_t d = config_.hidden_size, rows = s.batch * s.tokens;
  // query/key/value = self.query/key/value(hidden_states), fused into one GEMM. (The GEMMs' last argument,
  // one image's rows: int8 quantizes each image's activations on their own, so that an image's outputs
  // never depend on what else is in its batch.)
  float* qkv = ws_.qkv.data();
  Timed(Stage::kQueryKeyValue, [&] { GemmOnNormed(layer.qkv, rows, qkv, Epilogue::kBias, s.tokens); });
  // context = softmax(q k^T / sqrt(head_size)) v, heads concatenated
  // The fused output is ordered by head (BindWeights): head h's q, k and v side by side.
  const int64_t head_dim = config_.head_dim();
  kernels::AttentionShape shape{s.batch, s.tokens, config_.num_attention_heads, head_dim, 3 * head_dim};
  Timed(Stage::kAttention, [&] {
    kernels::MultiHeadAttention(qkv, qkv + head_dim, qkv + 2 * head_dim, 3 * d, shape,
                                1.0f / std::sqrt(static_cast<float>(head_dim)), ws_.context.data(), probs,
                                KernelPrecisionsFor(weights_.precision).attention);
  });
}

void ViT::Layer(const LayerWeights& layer, const Shape& s, float* probs) {
  const int64_t rows = s.batch * s.tokens;
  float* hidden = ws_.hidden.data();
  // attention_output = self.attention(self.layernorm_before(hidden_states))
  Timed(Stage::kLayerNorm, [&] { NormForGemm(layer.layernorm_before, rows); });
  SelfAttention(layer, s, probs);
  // hidden_states = attention_output + hidden_states   (ViTSelfOutput.dense, residual fused)
  Timed(Stage::kAttentionOutput, [&] {
    layer.attention_output.Forward(ws_.context.data(), rows, hidden, Epilogue::kBiasResidual, s.tokens);
  });
  // layer_output = self.intermediate(self.layernorm_after(hidden_states))   (dense + exact GELU fused)
  Timed(Stage::kLayerNorm, [&] { NormForGemm(layer.layernorm_after, rows); });
  // then layer_output = self.output(layer_output, hidden_states)   (dense + residual fused)
  if (Bf16Activations()) {  // the GELU's output stored as bf16, fc2's input type
    Timed(Stage::kIntermediate,
          [&] { layer.intermediate.Forward(NormedBf16(), rows, MlpBf16(), Epilogue::kBiasGelu); });
    Timed(Stage::kOutput, [&] { layer.output.Forward(MlpBf16(), rows, hidden, Epilogue::kBiasResidual); });
  } else {
    Timed(Stage::kIntermediate,
          [&] { GemmOnNormed(layer.intermediate, rows, ws_.mlp.data(), Epilogue::kBiasGelu, s.tokens); });
    Timed(Stage::kOutput,
          [&] { layer.output.Forward(ws_.mlp.data(), rows, hidden, Epilogue::kBiasResidual, s.tokens); });
  }
}

// The pooler and the classifier, on each image's [CLS] row of last_hidden_state.
void ViT::Head(const Shape& s, ModelOutput& out) {
  const int64_t d = config_.hidden_size;
  // first_token_tensor = hidden_states[:, 0]
  float* cls = ws_.cls.Reserve(static_cast<size_t>(s.batch * d));
  for (int64_t b = 0; b < s.batch; ++b)
    std::memcpy(cls + b * d, out.last_hidden_state.data() + b * s.tokens * d, static_cast<size_t>(d) * sizeof(float));
  if (weights_.pooler) {  // pooled_output = self.activation(self.dense(first_token_tensor))
    out.pooler_output = Tensor({s.batch, weights_.pooler->out_features()});
    weights_.pooler->Forward(cls, s.batch, out.pooler_output.data(), Epilogue::kBiasTanh, 1);
  }
  if (weights_.classifier) {  // logits = self.classifier(sequence_output[:, 0, :])
    out.logits = Tensor({s.batch, weights_.classifier->out_features()});
    weights_.classifier->Forward(cls, s.batch, out.logits.data(), Epilogue::kBias, 1);
  }
}

// A run writes last_hidden_state into the previous run's storage once nothing outside the model holds it
// (a caller who keeps an output gets new storage next run). Storage allocated anew each run comes back
// cold, and from 2 MiB up (ViT-L at batch 3 and more) as fresh pages, each touched for the first time,
// which made the final LayerNorm several times slower (`vit bench --stages`, its layernorm row;
// bench/RESULTS.md).
Tensor ViT::LastHiddenState(std::vector<int64_t> shape) {
  if (last_hidden_state_.shape() != shape || !last_hidden_state_.sole_owner()) {
    last_hidden_state_ = Tensor(std::move(shape));
  }
  return last_hidden_state_;
}

ModelOutput ViT::Forward(const Tensor& pixel_values, const RunOptions& options) {
  const core::ScopedNumThreads pool(threads_);
  const ViTConfig& c = config_;
  const Shape s = CheckInput(pixel_values, options);
  const int64_t d = c.hidden_size, rows = s.batch * s.tokens;
  const auto n = static_cast<size_t>(rows);
  ws_.hidden.Reserve(n * static_cast<size_t>(d));
  ws_.qkv.Reserve(n * static_cast<size_t>(3 * d));
  ws_.context.Reserve(n * static_cast<size_t>(d));
  if (Bf16Activations()) {  // two bf16 values per float of storage
    ws_.normed_bf16.Reserve((n * static_cast<size_t>(d) + 1) / 2);
    ws_.mlp_bf16.Reserve((n * static_cast<size_t>(c.intermediate_size) + 1) / 2);
  } else {
    ws_.normed.Reserve(n * static_cast<size_t>(d));
    ws_.mlp.Reserve(n * static_cast<size_t>(c.intermediate_size));
  }

  ModelOutput out;
  stage_seconds_ = options.time_stages ? &out.stage_seconds : nullptr;
  Timed(Stage::kEmbeddings, [&] { Embeddings(pixel_values, s, options.interpolate_pos_encoding); });
  float* hidden = ws_.hidden.data();
  auto snapshot = [&] {
    Tensor t({s.batch, s.tokens, d});
    std::memcpy(t.data(), hidden, n * static_cast<size_t>(d) * sizeof(float));
    out.hidden_states.push_back(std::move(t));
  };
  for (const LayerWeights& layer : weights_.layers) {
    if (options.output_hidden_states) snapshot();  // all_hidden_states += (hidden_states,)
    float* probs = nullptr;
    if (options.output_attentions) {
      out.attentions.emplace_back(std::vector<int64_t>{s.batch, c.num_attention_heads, s.tokens, s.tokens});
      probs = out.attentions.back().data();
    }
    Layer(layer, s, probs);
  }
  if (options.output_hidden_states) snapshot();  // the encoder's output, before the final LayerNorm

  // sequence_output = self.layernorm(sequence_output)
  out.last_hidden_state = LastHiddenState({s.batch, s.tokens, d});
  Timed(Stage::kLayerNorm, [&] {
    kernels::LayerNorm(hidden, rows, d, weights_.layernorm.weight.get(), weights_.layernorm.bias.get(),
                       static_cast<float>(c.layer_norm_eps), out.last_hidden_state.data());
  });

  if (weights_.pooler || weights_.classifier) Timed(Stage::kHead, [&] { Head(s, out); });
  stage_seconds_ = nullptr;
  return out;
}

}  // namespace vit::model
