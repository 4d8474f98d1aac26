#include "adapt/stratified_folds.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "vit/error.h"
#include "vit/probe.h"

namespace vit::adapt {
namespace {

// Sample indices of each label present, in label order, each list shuffled with `seed`.
std::map<int, std::vector<size_t>> ShuffledMembers(std::span<const int> labels, uint64_t seed) {
  std::map<int, std::vector<size_t>> members;
  for (size_t i = 0; i < labels.size(); ++i) members[labels[i]].push_back(i);
  std::mt19937_64 rng(seed);
  for (auto& [label, indices] : members) std::shuffle(indices.begin(), indices.end(), rng);
  return members;
}

}  // namespace

std::vector<int> AssignStratifiedFolds(std::span<const int> labels, int folds, uint64_t seed) {
  std::vector<int> fold(labels.size(), 0);
  if (folds < 1) return fold;
  int next = 0;
  for (const auto& [label, indices] : ShuffledMembers(labels, seed)) {
    for (size_t i : indices) {
      fold[i] = next;
      next = (next + 1) % folds;
    }
  }
  return fold;
}

int UsableFolds(std::span<const int> labels, int requested) {
  std::map<int, int> counts;
  for (int y : labels) ++counts[y];
  int smallest = requested;
  for (const auto& [label, count] : counts) smallest = std::min(smallest, count);
  return smallest >= 2 ? smallest : 0;
}

}  // namespace vit::adapt

namespace vit {

void SplitStratified(std::span<const int> labels, double validation_fraction, uint64_t seed, std::vector<size_t>& train,
                     std::vector<size_t>& validation) {
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0))
    throw Error("validation fraction must be in [0, 1), got " + std::to_string(validation_fraction),
                ErrorKind::kInvalidArgument);
  train.clear();
  validation.clear();
  for (const auto& [label, indices] : adapt::ShuffledMembers(labels, seed)) {
    const auto n = static_cast<int64_t>(indices.size());
    int64_t n_val = static_cast<int64_t>(validation_fraction * static_cast<double>(n) + 0.5);
    if (validation_fraction > 0.0 && n >= 2) n_val = std::clamp<int64_t>(n_val, 1, n - 1);
    else n_val = 0;
    validation.insert(validation.end(), indices.begin(), indices.begin() + n_val);
    train.insert(train.end(), indices.begin() + n_val, indices.end());
  }
  std::sort(train.begin(), train.end());
  std::sort(validation.begin(), validation.end());
}

}  // namespace vit
