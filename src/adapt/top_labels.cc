#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "vit/error.h"
#include "vit/probe.h"

namespace vit {

std::vector<std::vector<LabelScore>> TopLabels(const Tensor& logits, const std::vector<std::string>& id2label, int k) {
  if (logits.rank() != 2) throw Error("top labels: logits must be [B, K], got " + logits.ShapeString(),
                                      ErrorKind::kInvalidArgument);
  if (k < 1) throw Error("top labels: k must be >= 1", ErrorKind::kInvalidArgument);
  const int64_t num = logits.dim(1);
  const auto keep = static_cast<size_t>(std::min<int64_t>(k, num));
  std::vector<std::vector<LabelScore>> out;
  std::vector<double> probs(static_cast<size_t>(num));
  std::vector<int64_t> order(static_cast<size_t>(num));
  for (int64_t b = 0; b < logits.dim(0); ++b) {
    const float* z = logits.data() + b * num;
    const float max = *std::max_element(z, z + num);
    double sum = 0.0;
    for (int64_t c = 0; c < num; ++c) sum += probs[static_cast<size_t>(c)] = std::exp(double{z[c]} - max);
    std::iota(order.begin(), order.end(), 0);
    // Stable, so equal scores keep label order, as torch.topk on CPU does for ties in practice.
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t c) { return probs[static_cast<size_t>(a)] > probs[static_cast<size_t>(c)]; });
    std::vector<LabelScore> row;
    for (size_t i = 0; i < keep; ++i) {
      const int64_t id = order[i];
      const std::string label = id < static_cast<int64_t>(id2label.size()) ? id2label[static_cast<size_t>(id)]
                                                                          : "LABEL_" + std::to_string(id);
      row.push_back({id, label, static_cast<float>(probs[static_cast<size_t>(id)] / sum)});
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace vit
