#include "serve/pooling.h"

#include <cmath>

#include "vit/error.h"

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
  const int64_t tokens = last_hidden_state.dim(1), width = last_hidden_state.dim(2);
  const float* h = last_hidden_state.data();
  if (pooling == Pooling::kCls) return {h, h + width};
  if (tokens < 2) throw Error("\"pooling\": \"mean\" needs patch tokens, the model returned none",
                              ErrorKind::kUnsupported);
  // As `vit embed --outputs mean` computes it: a double sum over the tokens in order, one rounding.
  std::vector<double> sum(static_cast<size_t>(width), 0.0);
  for (int64_t t = 1; t < tokens; ++t)
    for (int64_t d = 0; d < width; ++d) sum[static_cast<size_t>(d)] += h[t * width + d];
  std::vector<float> mean(static_cast<size_t>(width));
  for (size_t d = 0; d < mean.size(); ++d) mean[d] = static_cast<float>(sum[d] / static_cast<double>(tokens - 1));
  return mean;
}

void L2Normalize(std::span<float> vector) {
  double sum = 0.0;
  for (float v : vector) sum += static_cast<double>(v) * v;
  if (sum <= 0.0 || !std::isfinite(sum)) return;
  const float norm = static_cast<float>(std::sqrt(sum));
  for (float& v : vector) v /= norm;
}

}  // namespace vit::serve
