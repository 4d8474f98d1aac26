#include <algorithm>
#include <cstring>

#include "vit/error.h"
#include "vit/probe.h"

namespace vit {

FeatureKind ParseFeatureKind(const std::string& name) {
  if (name == "cls") return FeatureKind::kCls;
  if (name == "pooler") return FeatureKind::kPooler;
  if (name == "mean") return FeatureKind::kMean;
  throw Error("features: expected cls, pooler or mean, got \"" + name + "\"", ErrorKind::kInvalidArgument);
}

const char* FeatureKindName(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::kCls: return "cls";
    case FeatureKind::kPooler: return "pooler";
    case FeatureKind::kMean: return "mean";
  }
  return "cls";
}

Tensor SelectFeatures(const ModelOutput& output, FeatureKind kind) {
  if (kind == FeatureKind::kPooler) {
    if (output.pooler_output.empty())
      throw Error("features pooler: this checkpoint has no pooler (pooler.dense.*); use cls or mean",
                  ErrorKind::kInvalidArgument);
    return output.pooler_output.Clone();
  }
  const Tensor& h = output.last_hidden_state;
  if (h.rank() != 3 || h.dim(1) < 1)
    throw Error("features: last_hidden_state must be [B, T, D], got " + h.ShapeString(), ErrorKind::kInternal);
  const int64_t batch = h.dim(0), tokens = h.dim(1), width = h.dim(2);
  Tensor out({batch, width});
  for (int64_t b = 0; b < batch; ++b) {
    const float* seq = h.data() + b * tokens * width;
    float* dst = out.data() + b * width;
    if (kind == FeatureKind::kCls) {
      std::memcpy(dst, seq, static_cast<size_t>(width) * sizeof(float));
      continue;
    }
    if (tokens < 2) throw Error("features mean: no patch tokens in " + h.ShapeString(), ErrorKind::kInternal);
    // Accumulate in double: 196-576 tokens summed in float would differ from torch's mean by more than
    // its own rounding.
    std::vector<double> sum(static_cast<size_t>(width), 0.0);
    for (int64_t t = 1; t < tokens; ++t)
      for (int64_t d = 0; d < width; ++d) sum[static_cast<size_t>(d)] += seq[t * width + d];
    for (int64_t d = 0; d < width; ++d) dst[d] = static_cast<float>(sum[static_cast<size_t>(d)] / (tokens - 1));
  }
  return out;
}

}  // namespace vit
