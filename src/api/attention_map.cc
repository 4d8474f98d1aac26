// AttentionMaps, HeadAttentionMaps: the [CLS] token's attention over the patch grid.
//
// Rollout only ever needs the [CLS] row of A_L ... A_1, so it is computed as the row vector
// e_0^T A_L ... A_1, one vector-matrix product per layer (O(L T^2)) instead of the T x T products
// (O(L T^3)); the result is the same row.
#include "vit/attention_map.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "vit/error.h"

namespace vit {
namespace {

struct Shape {
  int64_t batch, heads, tokens;
};

Shape CheckAttentions(std::span<const Tensor> attentions, PatchGridSize grid) {
  if (attentions.empty())
    throw Error("attention map: no attentions (run the model with output_attentions)", ErrorKind::kInvalidArgument);
  if (grid.height < 1 || grid.width < 1)
    throw Error("attention map: the patch grid must be at least 1x1, got " + std::to_string(grid.height) + "x" +
                    std::to_string(grid.width),
                ErrorKind::kInvalidArgument);
  const Tensor& first = attentions.front();
  if (first.rank() != 4 || first.dim(2) != first.dim(3))
    throw Error("attention map: attentions[0] must be [B, heads, T, T], got " + first.ShapeString(),
                ErrorKind::kInvalidArgument);
  const Shape s{first.dim(0), first.dim(1), first.dim(2)};
  if (s.tokens != 1 + grid.height * grid.width)
    throw Error("attention map: " + std::to_string(s.tokens) + " tokens do not make [CLS] plus a " +
                    std::to_string(grid.height) + "x" + std::to_string(grid.width) + " patch grid",
                ErrorKind::kInvalidArgument);
  for (size_t l = 0; l < attentions.size(); ++l)
    if (attentions[l].shape() != first.shape())
      throw Error("attention map: attentions[" + std::to_string(l) + "] is " + attentions[l].ShapeString() +
                      ", attentions[0] " + first.ShapeString(),
                  ErrorKind::kInvalidArgument);
  return s;
}

int ResolveLayer(int layer, size_t layers) {
  const int n = static_cast<int>(layers);
  const int resolved = layer < 0 ? layer + n : layer;
  if (resolved < 0 || resolved >= n)
    throw Error("attention map: layer " + std::to_string(layer) + " is outside the model's " + std::to_string(n) +
                    " layers (0.." + std::to_string(n - 1) + ", or -1 for the last)",
                ErrorKind::kInvalidArgument);
  return resolved;
}

// One image's heads of one layer fused into a T x T matrix.
void FuseHeads(const float* attention, const Shape& s, HeadFusion fusion, std::vector<double>& fused) {
  const auto plane = static_cast<size_t>(s.tokens * s.tokens);
  fused.assign(attention, attention + plane);
  for (int64_t h = 1; h < s.heads; ++h) {
    const float* head = attention + static_cast<size_t>(h) * plane;
    for (size_t i = 0; i < plane; ++i) {
      const double v = head[i];
      switch (fusion) {
        case HeadFusion::kMean: fused[i] += v; break;
        case HeadFusion::kMax: fused[i] = std::max(fused[i], v); break;
        case HeadFusion::kMin: fused[i] = std::min(fused[i], v); break;
      }
    }
  }
  if (fusion == HeadFusion::kMean)
    for (double& v : fused) v /= static_cast<double>(s.heads);
}

// Zeroes the lowest `ratio` share of the weights outside column 0, ties broken by position.
void Discard(std::vector<double>& fused, int64_t tokens, double ratio, std::vector<int64_t>& order) {
  const int64_t candidates = tokens * (tokens - 1);
  const auto count = static_cast<int64_t>(std::floor(ratio * static_cast<double>(candidates)));
  if (count <= 0) return;
  order.clear();
  for (int64_t r = 0; r < tokens; ++r)
    for (int64_t c = 1; c < tokens; ++c) order.push_back(r * tokens + c);
  const auto lower = [&](int64_t a, int64_t b) {
    const double va = fused[static_cast<size_t>(a)], vb = fused[static_cast<size_t>(b)];
    return va < vb || (va == vb && a < b);
  };
  std::nth_element(order.begin(), order.begin() + (count - 1), order.end(), lower);
  for (int64_t i = 0; i < count; ++i) fused[static_cast<size_t>(order[static_cast<size_t>(i)])] = 0.0;
}

// row <- row * (fused + I) / 2 with each row of (fused + I) / 2 renormalised to sum 1.
void MultiplyRollout(const std::vector<double>& fused, int64_t tokens, std::vector<double>& row,
                     std::vector<double>& next) {
  next.assign(static_cast<size_t>(tokens), 0.0);
  for (int64_t r = 0; r < tokens; ++r) {
    const double* a = fused.data() + r * tokens;
    double sum = 0.0;
    for (int64_t c = 0; c < tokens; ++c) sum += 0.5 * (a[c] + (c == r ? 1.0 : 0.0));
    const double weight = row[static_cast<size_t>(r)] / sum;  // sum >= 1/2: the identity's share
    if (weight == 0.0) continue;
    for (int64_t c = 0; c < tokens; ++c)
      next[static_cast<size_t>(c)] += weight * 0.5 * (a[c] + (c == r ? 1.0 : 0.0));
  }
  row.swap(next);
}

// The patch part of a [CLS] row (tokens 1..T-1), scaled so that its maximum is 1 (all zero stays zero).
void WriteScaled(const double* patches, int64_t count, float* out) {
  const double top = *std::max_element(patches, patches + count);
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(top > 0.0 ? patches[i] / top : 0.0);
}

}  // namespace

AttentionMethod ParseAttentionMethod(const std::string& name) {
  if (name == "rollout") return AttentionMethod::kRollout;
  if (name == "last") return AttentionMethod::kLayer;
  throw Error("attention method: expected rollout or last, got '" + name + "'", ErrorKind::kInvalidArgument);
}

HeadFusion ParseHeadFusion(const std::string& name) {
  if (name == "mean") return HeadFusion::kMean;
  if (name == "max") return HeadFusion::kMax;
  if (name == "min") return HeadFusion::kMin;
  throw Error("head fusion: expected mean, max or min, got '" + name + "'", ErrorKind::kInvalidArgument);
}

const char* AttentionMethodName(AttentionMethod method) {
  return method == AttentionMethod::kRollout ? "rollout" : "last";
}

const char* HeadFusionName(HeadFusion fusion) {
  return fusion == HeadFusion::kMean ? "mean" : fusion == HeadFusion::kMax ? "max" : "min";
}

PatchGridSize PatchGrid(const ViTConfig& config, const Tensor& pixel_values) {
  if ((pixel_values.rank() != 4 && pixel_values.rank() != 3) || config.patch_size < 1)
    throw Error("patch grid: pixel_values must be [B, C, H, W] or [C, H, W], got " + pixel_values.ShapeString(),
                ErrorKind::kInvalidArgument);
  return {pixel_values.dim(-2) / config.patch_size, pixel_values.dim(-1) / config.patch_size};
}

Tensor AttentionMaps(std::span<const Tensor> attentions, PatchGridSize grid, const AttentionMapOptions& options) {
  const Shape s = CheckAttentions(attentions, grid);
  if (!(options.discard_ratio >= 0.0 && options.discard_ratio < 1.0))
    throw Error("attention map: discard ratio must be in [0, 1), got " + std::to_string(options.discard_ratio),
                ErrorKind::kInvalidArgument);
  const int last = ResolveLayer(options.layer, attentions.size());
  const int first = options.method == AttentionMethod::kRollout ? 0 : last;
  const int64_t patches = s.tokens - 1;
  Tensor out({s.batch, grid.height, grid.width});
  std::vector<double> fused, row, next;
  std::vector<int64_t> order;
  const auto plane = s.heads * s.tokens * s.tokens;
  for (int64_t b = 0; b < s.batch; ++b) {
    if (options.method == AttentionMethod::kLayer) {
      FuseHeads(attentions[static_cast<size_t>(last)].data() + b * plane, s, options.head_fusion, fused);
      Discard(fused, s.tokens, options.discard_ratio, order);
      row.assign(fused.begin(), fused.begin() + s.tokens);
    } else {
      // e_0^T A_last ... A_first: the last layer's matrix is applied to the row first.
      row.assign(static_cast<size_t>(s.tokens), 0.0);
      row[0] = 1.0;
      for (int l = last; l >= first; --l) {
        FuseHeads(attentions[static_cast<size_t>(l)].data() + b * plane, s, options.head_fusion, fused);
        Discard(fused, s.tokens, options.discard_ratio, order);
        MultiplyRollout(fused, s.tokens, row, next);
      }
    }
    WriteScaled(row.data() + 1, patches, out.data() + b * patches);
  }
  return out;
}

Tensor HeadAttentionMaps(std::span<const Tensor> attentions, PatchGridSize grid, int layer) {
  const Shape s = CheckAttentions(attentions, grid);
  const Tensor& a = attentions[static_cast<size_t>(ResolveLayer(layer, attentions.size()))];
  const int64_t patches = s.tokens - 1;
  Tensor out({s.batch, s.heads, grid.height, grid.width});
  std::vector<double> row(static_cast<size_t>(patches));
  for (int64_t bh = 0; bh < s.batch * s.heads; ++bh) {
    const float* cls = a.data() + bh * s.tokens * s.tokens;  // row 0 of this head
    std::copy(cls + 1, cls + s.tokens, row.begin());
    WriteScaled(row.data(), patches, out.data() + bh * patches);
  }
  return out;
}

}  // namespace vit
