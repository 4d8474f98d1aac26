#include "serve/pooling.h"

#include <cmath>

#include "vit/error.h"
#include "vit/pooling.h"

namespace vit::serve {

Pooling ParsePooling(std::string_view name) {
  if (name == "pooler") return Pooling::kPooler;
  if (name == "cls") return Pooling::kCls;
  if (name == "mean") return Pooling::kMean;
  throw Error("\"pooling\": expected \"pooler\", \"cls\" or \"mean\", got \"" + std::string(name.substr(0, 64)) + "\"",
              ErrorKind::kInvalidArgument);
}

const char* PoolingName(Pooling pooling) {
  switch (pooling) {
    case Pooling::kPooler: return "pooler";
    case Pooling::kCls: return "cls";
    case Pooling::kMean: return "mean";
  }
  return "?";
}

std::vector<float> Pool(const Tensor& last_hidden_state, const Tensor& pooler_output, Pooling pooling) {
  if (pooling == Pooling::kPooler) {
    if (pooler_output.empty())
      throw Error("\"pooling\": \"pooler\" needs pooler_output, and this checkpoint has no pooler "
                  "(pooler.dense); use \"cls\" or \"mean\"",
                  ErrorKind::kUnsupported);
    return {pooler_output.data(), pooler_output.data() + pooler_output.numel()};
  }
  if (last_hidden_state.rank() != 3 || last_hidden_state.dim(0) != 1 || last_hidden_state.dim(1) < 1)
    throw Error("pooling: last_hidden_state is " + last_hidden_state.ShapeString() + ", expected [1,T,D]",
                ErrorKind::kInternal);
  if (pooling == Pooling::kMean && last_hidden_state.dim(1) < 2)
    throw Error("\"pooling\": \"mean\" needs patch tokens, the model returned none", ErrorKind::kUnsupported);
  // The same definitions as `vit embed --outputs cls,mean`.
  const Tensor v = pooling == Pooling::kCls ? ClsTokens(last_hidden_state) : MeanOfPatchTokens(last_hidden_state);
  return {v.data(), v.data() + v.numel()};
}

void L2Normalize(std::span<float> vector) {
  double sum = 0.0;
  for (float v : vector) sum += static_cast<double>(v) * v;
  if (sum <= 0.0 || !std::isfinite(sum)) return;
  const float norm = static_cast<float>(std::sqrt(sum));
  for (float& v : vector) v /= norm;
}

}  // namespace vit::serve
