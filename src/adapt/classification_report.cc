// EvaluateClassifier and the text form of its report, laid out like scikit-learn's
// classification_report followed by the confusion matrix.
#include <algorithm>
#include <cstdio>
#include <string>

#include "vit/error.h"
#include "vit/probe.h"

namespace vit {
namespace {

std::string Format(const char* format, auto... values) {
  const int n = std::snprintf(nullptr, 0, format, values...);
  std::string out(static_cast<size_t>(n > 0 ? n : 0) + 1, '\0');
  std::snprintf(out.data(), out.size(), format, values...);
  out.pop_back();
  return out;
}

}  // namespace

ClassificationReport EvaluateClassifier(const Tensor& logits, std::span<const int> labels,
                                        const std::vector<std::string>& id2label) {
  const auto k = static_cast<int64_t>(id2label.size());
  if (logits.rank() != 2 || logits.dim(1) != k || logits.dim(0) != static_cast<int64_t>(labels.size()))
    throw Error("evaluation: logits " + logits.ShapeString() + " do not match " + std::to_string(labels.size()) +
                    " labels of " + std::to_string(k) + " classes",
                ErrorKind::kInvalidArgument);
  ClassificationReport r;
  r.labels = id2label;
  r.confusion.assign(static_cast<size_t>(k), std::vector<int64_t>(static_cast<size_t>(k), 0));
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* z = logits.data() + static_cast<int64_t>(i) * k;
    const auto predicted = static_cast<size_t>(std::max_element(z, z + k) - z);
    const int truth = labels[i];
    if (truth < 0 || truth >= k)
      throw Error("evaluation: label " + std::to_string(truth) + " outside the " + std::to_string(k) + " classes",
                  ErrorKind::kInvalidArgument);
    ++r.confusion[static_cast<size_t>(truth)][predicted];
    correct += predicted == static_cast<size_t>(truth);
  }
  r.total = static_cast<int64_t>(labels.size());
  r.accuracy = r.total ? static_cast<double>(correct) / static_cast<double>(r.total) : 0.0;
  for (size_t c = 0; c < static_cast<size_t>(k); ++c) {
    int64_t predicted_as = 0, actual = 0;
    for (size_t o = 0; o < static_cast<size_t>(k); ++o) {
      predicted_as += r.confusion[o][c];
      actual += r.confusion[c][o];
    }
    const auto hits = static_cast<double>(r.confusion[c][c]);
    r.precision.push_back(predicted_as ? hits / static_cast<double>(predicted_as) : 0.0);
    r.recall.push_back(actual ? hits / static_cast<double>(actual) : 0.0);
    r.support.push_back(actual);
  }
  return r;
}

std::string ClassificationReport::ToText() const {
  size_t width = 5;
  for (const auto& l : labels) width = std::max(width, l.size());
  const int w = static_cast<int>(std::min<size_t>(width, 40));
  std::string out = Format("accuracy %.4f (%lld images)\n\n", accuracy, static_cast<long long>(total));
  out += Format("%4s  %-*s %9s %9s %9s\n", "id", w, "label", "precision", "recall", "support");
  for (size_t c = 0; c < labels.size(); ++c)
    out += Format("%4zu  %-*.*s %9.4f %9.4f %9lld\n", c, w, w, labels[c].c_str(), precision[c], recall[c],
                  static_cast<long long>(support[c]));
  out += "\nconfusion matrix (rows: true id, columns: predicted id)\n      ";
  int64_t largest = 1;
  for (const auto& row : confusion)
    for (int64_t v : row) largest = std::max(largest, v);
  const int cell = std::max(4, static_cast<int>(std::to_string(largest).size()) + 1);
  for (size_t c = 0; c < labels.size(); ++c) out += Format("%*zu", cell, c);
  out += "\n";
  for (size_t r = 0; r < confusion.size(); ++r) {
    out += Format("%4zu  ", r);
    for (int64_t v : confusion[r]) out += Format("%*lld", cell, static_cast<long long>(v));
    out += "\n";
  }
  return out;
}

}  // namespace vit
