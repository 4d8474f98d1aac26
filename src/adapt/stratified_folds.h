// Stratified fold assignment for cross-validation: each class's samples shuffled with a fixed seed
// and dealt round-robin, so every fold sees every class in proportion (StratifiedKFold's intent).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vit::adapt {

// Fold index in [0, folds) for each sample. Classes are dealt starting where the previous one
// stopped, which keeps fold sizes within one of each other.
std::vector<int> AssignStratifiedFolds(std::span<const int> labels, int folds, uint64_t seed);

// The number of folds usable with these labels: min(requested, smallest class count), 0 if below 2.
int UsableFolds(std::span<const int> labels, int requested);

}  // namespace vit::adapt
