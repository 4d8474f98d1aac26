#include <algorithm>
#include <cstring>

#include "vit/error.h"
#include "vit/pooling.h"
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
  return kind == FeatureKind::kCls ? ClsTokens(output.last_hidden_state) : MeanOfPatchTokens(output.last_hidden_state);
}

}  // namespace vit
