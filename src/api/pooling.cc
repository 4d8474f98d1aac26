#include "vit/pooling.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "vit/error.h"
#include "vit/model.h"

namespace vit {
namespace {

void CheckHiddenState(const Tensor& h, int64_t min_tokens, const char* what) {
  if (h.rank() != 3 || h.dim(1) < min_tokens)
    throw Error(std::string(what) + ": last_hidden_state must be [B, T, D] with T >= " + std::to_string(min_tokens) +
                    ", got " + h.ShapeString(),
                ErrorKind::kInvalidArgument);
}

}  // namespace

Pooling ParsePooling(std::string_view name) {
  if (name == "pooler" || name == "pooler_output") return Pooling::kPooler;
  if (name == "cls") return Pooling::kCls;
  if (name == "mean") return Pooling::kMean;
  if (name == "image_embeds") return Pooling::kImageEmbeds;
  throw Error("pooling: expected pooler, image_embeds, cls or mean, got \"" + std::string(name.substr(0, 64)) + "\"",
              ErrorKind::kInvalidArgument);
}

const char* PoolingName(Pooling pooling) {
  switch (pooling) {
    case Pooling::kPooler: return "pooler";
    case Pooling::kCls: return "cls";
    case Pooling::kMean: return "mean";
    case Pooling::kImageEmbeds: return "image_embeds";
  }
  return "?";
}

const char* PoolingOutputName(Pooling pooling) { return pooling == Pooling::kPooler ? "pooler_output" : PoolingName(pooling); }

Pooling DefaultPooling(bool has_pooler, bool has_image_embeds) {
  if (has_image_embeds) return Pooling::kImageEmbeds;
  return has_pooler ? Pooling::kPooler : Pooling::kCls;
}

Pooling DefaultPooling(const ModelInfo& info) { return DefaultPooling(info.has_pooler, info.has_image_embeds); }

void RequirePooling(const ModelInfo& info, Pooling pooling) {
  const char* missing = nullptr;
  if (pooling == Pooling::kPooler && !info.has_pooler)
    missing = " has no pooler (no pooler.dense.* tensors, as in ViTForImageClassification checkpoints)";
  else if (pooling == Pooling::kImageEmbeds && !info.has_image_embeds)
    missing = " has no image_embeds (no visual_projection: only CLIPModel and CLIPVisionModelWithProjection have one)";
  else if (pooling == Pooling::kCls && info.leading_tokens < 1)
    missing = " has no [CLS] token (SigLIP)";
  if (!missing) return;
  std::string choices;
  for (Pooling p : {Pooling::kImageEmbeds, Pooling::kPooler, Pooling::kCls, Pooling::kMean}) {
    const bool available = (p != Pooling::kPooler || info.has_pooler) && (p != Pooling::kImageEmbeds || info.has_image_embeds) &&
                           (p != Pooling::kCls || info.leading_tokens >= 1);
    if (available) choices += std::string(choices.empty() ? "" : ", ") + PoolingName(p);
  }
  throw Error(std::string("pooling ") + PoolingName(pooling) + ": " + info.source + missing + "; use " + choices,
              ErrorKind::kInvalidArgument);
}

int64_t PooledWidth(const ViTConfig& config, Pooling pooling) {
  if (pooling == Pooling::kPooler && config.pooler_output_size > 0) return config.pooler_output_size;
  if (pooling == Pooling::kImageEmbeds && config.projection_dim > 0) return config.projection_dim;
  return config.hidden_size;
}

Tensor Pool(const ModelOutput& output, Pooling pooling) {
  if (pooling != Pooling::kImageEmbeds)
    return Pool(output.last_hidden_state, output.pooler_output, pooling, output.leading_tokens);
  if (output.image_embeds.empty())
    throw Error("pooling image_embeds needs a visual_projection (CLIPVisionModelWithProjection or CLIPModel), and "
                "this checkpoint has none; use pooler, cls or mean",
                ErrorKind::kUnsupported);
  return output.image_embeds.Clone();
}

Tensor Pool(const Tensor& last_hidden_state, const Tensor& pooler_output, Pooling pooling, int64_t leading_tokens) {
  switch (pooling) {
    case Pooling::kPooler:
      if (pooler_output.empty())
        throw Error("pooling pooler needs pooler_output, and this checkpoint has no pooler (pooler.dense.*); "
                    "use cls or mean",
                    ErrorKind::kUnsupported);
      return pooler_output.Clone();
    case Pooling::kCls: return ClsTokens(last_hidden_state, leading_tokens);
    case Pooling::kMean: return MeanOfPatchTokens(last_hidden_state, leading_tokens);
    case Pooling::kImageEmbeds:
      throw Error("pooling image_embeds: Pool(ModelOutput) computes it, not Pool(last_hidden_state, ...)",
                  ErrorKind::kInvalidArgument);
  }
  throw Error("pooling: unknown kind", ErrorKind::kInternal);
}

Tensor ClsTokens(const Tensor& h, int64_t leading_tokens) {
  if (leading_tokens < 1)
    throw Error("pooling cls needs a [CLS] token, and this model has none (SigLIP); use pooler or mean",
                ErrorKind::kUnsupported);
  CheckHiddenState(h, 1, "cls");
  const int64_t batch = h.dim(0), tokens = h.dim(1), width = h.dim(2);
  Tensor out({batch, width});
  for (int64_t b = 0; b < batch; ++b)
    std::memcpy(out.data() + b * width, h.data() + b * tokens * width, static_cast<size_t>(width) * sizeof(float));
  return out;
}

Tensor MeanOfPatchTokens(const Tensor& h, int64_t leading_tokens) {
  if (leading_tokens < 0) throw Error("mean: leading_tokens < 0", ErrorKind::kInvalidArgument);
  CheckHiddenState(h, leading_tokens + 1, "mean");
  const int64_t batch = h.dim(0), tokens = h.dim(1), width = h.dim(2);
  Tensor out({batch, width});
  std::vector<double> sum(static_cast<size_t>(width));
  for (int64_t b = 0; b < batch; ++b) {
    const float* seq = h.data() + b * tokens * width;
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int64_t t = leading_tokens; t < tokens; ++t)
      for (int64_t d = 0; d < width; ++d) sum[static_cast<size_t>(d)] += seq[t * width + d];
    for (int64_t d = 0; d < width; ++d)
      out.data()[b * width + d] =
          static_cast<float>(sum[static_cast<size_t>(d)] / static_cast<double>(tokens - leading_tokens));
  }
  return out;
}

void L2Normalize(std::span<float> vector) {
  double sum = 0.0;
  for (float v : vector) sum += static_cast<double>(v) * v;
  if (sum <= 0.0 || !std::isfinite(sum)) return;
  const float norm = static_cast<float>(std::sqrt(sum));
  for (float& v : vector) v /= norm;
}

void L2NormalizeRows(Tensor& rows) {
  if (rows.rank() != 2) throw Error("L2NormalizeRows: expected [B, D], got " + rows.ShapeString(), ErrorKind::kInvalidArgument);
  const int64_t width = rows.dim(1);
  for (int64_t r = 0; r < rows.dim(0); ++r)
    L2Normalize(std::span<float>(rows.data() + r * width, static_cast<size_t>(width)));
}

}  // namespace vit
