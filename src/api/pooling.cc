#include "vit/pooling.h"

#include <cstring>
#include <vector>

#include "vit/error.h"

namespace vit {
namespace {

void CheckHiddenState(const Tensor& h, int64_t min_tokens, const char* what) {
  if (h.rank() != 3 || h.dim(1) < min_tokens)
    throw Error(std::string(what) + ": last_hidden_state must be [B, T, D] with T >= " + std::to_string(min_tokens) +
                    ", got " + h.ShapeString(),
                ErrorKind::kInvalidArgument);
}

}  // namespace

Tensor ClsTokens(const Tensor& h) {
  CheckHiddenState(h, 1, "cls");
  const int64_t batch = h.dim(0), tokens = h.dim(1), width = h.dim(2);
  Tensor out({batch, width});
  for (int64_t b = 0; b < batch; ++b)
    std::memcpy(out.data() + b * width, h.data() + b * tokens * width, static_cast<size_t>(width) * sizeof(float));
  return out;
}

Tensor MeanOfPatchTokens(const Tensor& h) {
  CheckHiddenState(h, 2, "mean");
  const int64_t batch = h.dim(0), tokens = h.dim(1), width = h.dim(2);
  Tensor out({batch, width});
  std::vector<double> sum(static_cast<size_t>(width));
  for (int64_t b = 0; b < batch; ++b) {
    const float* seq = h.data() + b * tokens * width;
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int64_t t = 1; t < tokens; ++t)
      for (int64_t d = 0; d < width; ++d) sum[static_cast<size_t>(d)] += seq[t * width + d];
    for (int64_t d = 0; d < width; ++d)
      out.data()[b * width + d] = static_cast<float>(sum[static_cast<size_t>(d)] / static_cast<double>(tokens - 1));
  }
  return out;
}

}  // namespace vit
