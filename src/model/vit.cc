#include "model/vit.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/threads.h"
#include "kernels/attention.h"
#include "kernels/bf16.h"
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
  const bool interpolate = options.interpolate_pos_encoding || family_.always_interpolate;
  if (!interpolate && (height != c.image_size || width != c.image_size))
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
  const int64_t first_patch = family_.leading_tokens + family_.register_tokens;
  return {batch, grid_h, grid_w, grid_h * grid_w, grid_h * grid_w + first_patch, first_patch};
}

const std::vector<float>& ViT::PositionEmbeddings(int64_t grid_h, int64_t grid_w) {
  auto key = std::make_pair(grid_h, grid_w);
  auto it = interpolated_positions_.find(key);
  if (it == interpolated_positions_.end()) {
    const auto side = static_cast<int64_t>(std::sqrt(static_cast<double>(config_.num_patches())));
    it = interpolated_positions_
             .emplace(key, InterpolatePositionEmbeddings(weights_.position_embeddings.get(), side, config_.hidden_size,
                                                         grid_h, grid_w, family_.leading_tokens,
                                                         family_.antialiased_interpolation))
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

  // embeddings = torch.cat((cls_tokens[, distillation_tokens], embeddings), dim=1) + position_embeddings
  // (interpolated if asked, always for DINOv2; at the native grid the interpolation is the identity, as
  // transformers short-cuts it). DINOv2's register tokens go in after [CLS] with no position embedding.
  const bool native = s.grid_h * s.grid_w == c.num_patches() && s.grid_h == s.grid_w;
  const float* pos = ((interpolate || family_.always_interpolate) && !native)
                         ? PositionEmbeddings(s.grid_h, s.grid_w).data()
                         : weights_.position_embeddings.get();
  const int64_t leading = family_.leading_tokens;
  float* hidden = ws_.hidden.data();
  core::ParallelFor(s.batch * s.tokens, [&](int64_t bt) {
    const int64_t b = bt / s.tokens, t = bt % s.tokens;
    float* dst = hidden + bt * d;
    if (t >= leading && t < s.first_patch) {  // a register token
      std::memcpy(dst, weights_.register_tokens.get() + (t - leading) * d, static_cast<size_t>(d) * sizeof(float));
      return;
    }
    const bool patch = t >= s.first_patch;
    const float* src = patch ? embeds + (b * s.patches + t - s.first_patch) * d : weights_.leading_tokens.get() + t * d;
    const float* p = pos + (patch ? leading + t - s.first_patch : t) * d;
    for (int64_t k = 0; k < d; ++k) dst[k] = src[k] + p[k];
  });
  // CLIP: hidden_states = self.pre_layrnorm(hidden_states)
  if (weights_.pre_layernorm) {
    kernels::LayerNorm(hidden, s.batch * s.tokens, d, weights_.pre_layernorm->weight.get(),
                       weights_.pre_layernorm->bias.get(), static_cast<float>(c.layer_norm_eps), hidden);
  }
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
  // hidden_states = attention_output + hidden_states   (ViTSelfOutput.dense, residual fused); DINOv2 scales
  // the branch first: layer_scale1(attention_output) + hidden_states
  const bool scaled = family_.layer_scale;
  float* branch = scaled ? ws_.branch.data() : hidden;
  const Epilogue residual = scaled ? Epilogue::kBias : Epilogue::kBiasResidual;
  Timed(Stage::kAttentionOutput, [&] {
    layer.attention_output.Forward(ws_.context.data(), rows, branch, residual, s.tokens);
    if (scaled) ScaledResidual(branch, layer.layer_scale1, rows);
  });
  // layer_output = self.intermediate(self.layernorm_after(hidden_states))   (dense + the family's
  // activation fused: exact GELU, quick_gelu or tanh-GELU)
  Timed(Stage::kLayerNorm, [&] { NormForGemm(layer.layernorm_after, rows); });
  // then layer_output = self.output(layer_output, hidden_states)   (dense + residual fused)
  const Epilogue activation = family_.mlp_activation;
  if (family_.swiglu) {
    // Dinov2SwiGLUFFN: x1, x2 = weights_in(x).chunk(2, dim=-1); weights_out(silu(x1) * x2)
    Timed(Stage::kIntermediate, [&] {
      GemmOnNormed(layer.intermediate, rows, ws_.gates.data(), Epilogue::kBias, s.tokens);
      SwiGluGate(rows);
    });
    Timed(Stage::kOutput, [&] {
      if (Bf16Activations()) {
        layer.output.Forward(MlpBf16(), rows, branch, residual);
      } else {
        layer.output.Forward(ws_.mlp.data(), rows, branch, residual, s.tokens);
      }
      if (scaled) ScaledResidual(branch, layer.layer_scale2, rows);
    });
  } else if (Bf16Activations()) {  // the activation's output stored as bf16, fc2's input type
    Timed(Stage::kIntermediate, [&] { layer.intermediate.Forward(NormedBf16(), rows, MlpBf16(), activation); });
    Timed(Stage::kOutput, [&] {
      layer.output.Forward(MlpBf16(), rows, branch, residual);
      if (scaled) ScaledResidual(branch, layer.layer_scale2, rows);
    });
  } else {
    Timed(Stage::kIntermediate,
          [&] { GemmOnNormed(layer.intermediate, rows, ws_.mlp.data(), activation, s.tokens); });
    Timed(Stage::kOutput, [&] {
      layer.output.Forward(ws_.mlp.data(), rows, branch, residual, s.tokens);
      if (scaled) ScaledResidual(branch, layer.layer_scale2, rows);
    });
  }
}

// SwiGLU's gated product silu(x1) * x2 over the two halves of weights_in's output, in float as PyTorch
// does it (silu rounded, then the product), stored as weights_out's input type (bf16 for a bf16 model).
void ViT::SwiGluGate(int64_t rows) {
  const int64_t h = config_.intermediate_size;
  const float* gates = ws_.gates.data();
  const bool bf16 = Bf16Activations();
  float* out = ws_.mlp.data();
  uint16_t* out_bf16 = bf16 ? MlpBf16() : nullptr;
  core::ParallelFor(rows, [&](int64_t r) {
    const float* x1 = gates + r * 2 * h;
    const float* x2 = x1 + h;
    for (int64_t k = 0; k < h; ++k) {
      const float silu = x1[k] / (1.0f + std::exp(-x1[k]));
      const float product = silu * x2[k];
      if (bf16) {
        out_bf16[r * h + k] = kernels::FloatToBf16(product);
      } else {
        out[r * h + k] = product;
      }
    }
  });
}

// Dinov2LayerScale and the residual: hidden_states += branch * lambda1, in float as PyTorch does it (a
// product rounded, then a sum rounded).
void ViT::ScaledResidual(const float* branch, const Parameter& scale, int64_t rows) {
  const int64_t d = config_.hidden_size;
  float* hidden = ws_.hidden.data();
  const float* lambda = scale.get();
  core::ParallelFor(rows, [&](int64_t r) {
    const float* in = branch + r * d;
    float* out = hidden + r * d;
    for (int64_t k = 0; k < d; ++k) {
      const float product = in[k] * lambda[k];
      out[k] += product;
    }
  });
}

// pooler_output, image_embeds and logits from last_hidden_state, as the family's heads compute them.
void ViT::Head(const Shape& s, ModelOutput& out) {
  const int64_t d = config_.hidden_size;
  const float eps = static_cast<float>(config_.layer_norm_eps);
  // first_token_tensor = hidden_states[:, 0]
  float* cls = ws_.cls.Reserve(static_cast<size_t>(s.batch * d));
  for (int64_t b = 0; b < s.batch; ++b)
    std::memcpy(cls + b * d, out.last_hidden_state.data() + b * s.tokens * d, static_cast<size_t>(d) * sizeof(float));
  switch (family_.pooler) {
    case PoolerKind::kDense:  // pooled_output = self.activation(self.dense(first_token_tensor))
      if (weights_.pooler) {
        out.pooler_output = Tensor({s.batch, weights_.pooler->out_features()});
        weights_.pooler->Forward(cls, s.batch, out.pooler_output.data(), Epilogue::kBiasTanh, 1);
      }
      break;
    case PoolerKind::kFirstToken:  // pooled_output = sequence_output[:, 0, :]
      out.pooler_output = Tensor({s.batch, d});
      std::memcpy(out.pooler_output.data(), cls, static_cast<size_t>(s.batch * d) * sizeof(float));
      break;
    case PoolerKind::kNormedFirstToken:  // pooled_output = self.post_layernorm(last_hidden_state[:, 0, :])
      out.pooler_output = Tensor({s.batch, d});
      kernels::LayerNorm(cls, s.batch, d, weights_.post_layernorm->weight.get(), weights_.post_layernorm->bias.get(),
                         eps, out.pooler_output.data());
      break;
    case PoolerKind::kAttentionHead:  // pooler_output = self.head(last_hidden_state)
      out.pooler_output = Tensor({s.batch, d});
      AttentionPool(s, out.last_hidden_state.data(), out.pooler_output.data());
      break;
    case PoolerKind::kNone:
      break;
  }
  if (weights_.visual_projection && !out.pooler_output.empty()) {  // image_embeds = self.visual_projection(pooled_output)
    out.image_embeds = Tensor({s.batch, weights_.visual_projection->out_features()});
    weights_.visual_projection->Forward(out.pooler_output.data(), s.batch, out.image_embeds.data(), Epilogue::kBias, 1);
  }
  if (weights_.classifier) {  // logits = self.classifier(sequence_output[:, 0, :])
    const float* input = cls;
    if (family_.classifier_input == ClassifierInput::kFirstTokenAndPatchMean)
      input = ClsAndPatchMean(s, out.last_hidden_state.data());
    out.logits = Tensor({s.batch, weights_.classifier->out_features()});
    weights_.classifier->Forward(input, s.batch, out.logits.data(), Epilogue::kBias, 1);
  }
  if (weights_.distillation_classifier) {
    // DeiTForImageClassificationWithTeacher: (cls_classifier(seq[:, 0]) + distillation_classifier(seq[:, 1])) / 2
    float* dist = ws_.head.Reserve(static_cast<size_t>(s.batch * d));
    for (int64_t b = 0; b < s.batch; ++b)
      std::memcpy(dist + b * d, out.last_hidden_state.data() + (b * s.tokens + 1) * d, static_cast<size_t>(d) * sizeof(float));
    Tensor distillation({s.batch, weights_.distillation_classifier->out_features()});
    weights_.distillation_classifier->Forward(dist, s.batch, distillation.data(), Epilogue::kBias, 1);
    float* logits = out.logits.data();
    for (int64_t i = 0; i < out.logits.numel(); ++i) logits[i] = (logits[i] + distillation.data()[i]) / 2;
  }
}

// SiglipMultiheadAttentionPoolingHead: hidden = attention(probe, tokens, tokens) (nn.MultiheadAttention:
// in_proj, softmax(q k^T / sqrt(head_dim)) v per head, out_proj); hidden = hidden + mlp(layernorm(hidden));
// pooled = hidden[:, 0]. One query per image, so the attention is a few dot products per head, summed in double.
// cls_token = sequence_output[:, 0]; patch_tokens = sequence_output[:, 1 + num_register_tokens:];
// linear_input = torch.cat([cls_token, patch_tokens.mean(dim=1)], dim=1). The mean is summed in double and
// rounded once, as vit/pooling.h's mean is.
const float* ViT::ClsAndPatchMean(const Shape& s, const float* tokens) {
  const int64_t d = config_.hidden_size;
  const int64_t first_patch = family_.leading_tokens + family_.register_tokens;
  const int64_t patches = s.tokens - first_patch;
  float* input = ws_.head.Reserve(static_cast<size_t>(s.batch * 2 * d));
  std::vector<double> sum(static_cast<size_t>(d));
  for (int64_t b = 0; b < s.batch; ++b) {
    const float* seq = tokens + b * s.tokens * d;
    float* row = input + b * 2 * d;
    std::memcpy(row, seq, static_cast<size_t>(d) * sizeof(float));
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int64_t t = first_patch; t < s.tokens; ++t)
      for (int64_t k = 0; k < d; ++k) sum[static_cast<size_t>(k)] += seq[t * d + k];
    for (int64_t k = 0; k < d; ++k) row[d + k] = static_cast<float>(sum[static_cast<size_t>(k)] / static_cast<double>(patches));
  }
  return input;
}

void ViT::AttentionPool(const Shape& s, const float* tokens, float* pooled) {
  const AttentionPoolWeights& h = *weights_.attention_pool;
  const int64_t d = config_.hidden_size, heads = config_.num_attention_heads, hd = config_.head_dim();
  const int64_t t_count = s.tokens, rows = s.batch * s.tokens;
  float* kv = ws_.qkv.data();  // [rows, 2D]: each token's key, then its value
  h.key_value.Forward(tokens, rows, kv, Epilogue::kBias, t_count);
  float* context = ws_.head.Reserve(static_cast<size_t>(s.batch * (3 * d + config_.intermediate_size)));
  float* attended = context + s.batch * d;
  float* normed = attended + s.batch * d;
  float* mlp = normed + s.batch * d;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  const float* q = h.query.get();
  core::ParallelFor(s.batch * heads, [&](int64_t bh) {
    const int64_t b = bh / heads, head = bh % heads;
    std::vector<double> p(static_cast<size_t>(t_count));
    double max = -INFINITY;
    for (int64_t t = 0; t < t_count; ++t) {
      const float* key = kv + (b * t_count + t) * 2 * d + head * hd;
      double dot = 0;
      for (int64_t k = 0; k < hd; ++k) dot += static_cast<double>(q[head * hd + k]) * key[k];
      p[static_cast<size_t>(t)] = dot * scale;
      max = std::max(max, dot * scale);
    }
    double sum = 0;
    for (double& v : p) sum += (v = std::exp(v - max));
    std::vector<double> acc(static_cast<size_t>(hd), 0.0);
    for (int64_t t = 0; t < t_count; ++t) {
      const float* value = kv + (b * t_count + t) * 2 * d + d + head * hd;
      const double w = p[static_cast<size_t>(t)] / sum;
      for (int64_t k = 0; k < hd; ++k) acc[static_cast<size_t>(k)] += w * value[k];
    }
    for (int64_t k = 0; k < hd; ++k) context[b * d + head * hd + k] = static_cast<float>(acc[static_cast<size_t>(k)]);
  });
  h.out_proj.Forward(context, s.batch, attended, Epilogue::kBias, 1);
  // residual = hidden_state; hidden_state = residual + self.mlp(self.layernorm(hidden_state))
  kernels::LayerNorm(attended, s.batch, d, h.layernorm.weight.get(), h.layernorm.bias.get(),
                     static_cast<float>(config_.layer_norm_eps), normed);
  h.fc1.Forward(normed, s.batch, mlp, family_.mlp_activation, 1);
  std::memcpy(pooled, attended, static_cast<size_t>(s.batch * d) * sizeof(float));
  h.fc2.Forward(mlp, s.batch, pooled, Epilogue::kBiasResidual, 1);
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
  if (family_.layer_scale) ws_.branch.Reserve(n * static_cast<size_t>(d));
  if (family_.swiglu) ws_.gates.Reserve(n * static_cast<size_t>(2 * c.intermediate_size));
  if (Bf16Activations()) {  // two bf16 values per float of storage
    ws_.normed_bf16.Reserve((n * static_cast<size_t>(d) + 1) / 2);
    ws_.mlp_bf16.Reserve((n * static_cast<size_t>(c.intermediate_size) + 1) / 2);
  } else {
    ws_.normed.Reserve(n * static_cast<size_t>(d));
    ws_.mlp.Reserve(n * static_cast<size_t>(c.intermediate_size));
  }

  ModelOutput out;
  out.leading_tokens = s.first_patch;
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

  // sequence_output = self.layernorm(sequence_output) (SigLIP: post_layernorm; CLIP's last_hidden_state is
  // the encoder's output as is)
  out.last_hidden_state = LastHiddenState({s.batch, s.tokens, d});
  Timed(Stage::kLayerNorm, [&] {
    if (weights_.layernorm) {
      kernels::LayerNorm(hidden, rows, d, weights_.layernorm->weight.get(), weights_.layernorm->bias.get(),
                         static_cast<float>(c.layer_norm_eps), out.last_hidden_state.data());
    } else {
      std::memcpy(out.last_hidden_state.data(), hidden, n * static_cast<size_t>(d) * sizeof(float));
    }
  });

  const bool head = weights_.pooler || weights_.classifier || weights_.attention_pool ||
                    family_.pooler == PoolerKind::kFirstToken || family_.pooler == PoolerKind::kNormedFirstToken;
  if (head) Timed(Stage::kHead, [&] { Head(s, out); });
  stage_seconds_ = nullptr;
  return out;
}

}  // namespace vit::model
