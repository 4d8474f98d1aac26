#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "adapt/adapt_testing.h"
#include "vit/error.h"
#include "vit/probe.h"

namespace vit {
namespace {

// n rows of d features in k classes: Gaussian blobs with a large common offset and uneven scales.
Tensor Blobs(int64_t n, int64_t d, int k, double spread, uint64_t seed, std::vector<int>& labels) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> centres(static_cast<size_t>(k * d));
  for (double& c : centres) c = spread * normal(rng);
  Tensor x({n, d});
  labels.clear();
  for (int64_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(i % k);
    labels.push_back(y);
    for (int64_t j = 0; j < d; ++j)
      x.data()[i * d + j] =
          static_cast<float>(20.0 + (0.1 + j % 4) * (centres[static_cast<size_t>(y * d + j)] + normal(rng)));
  }
  return x;
}

TEST(TrainLinearProbe, SeparatesHeldOutBlobs) {
  std::vector<int> train_labels, test_labels;
  const Tensor train = Blobs(400, 16, 4, 1.0, 1, train_labels);
  // Same centres (same seed for them), new noise: draw more and keep the tail.
  std::vector<int> all_labels;
  const Tensor all = Blobs(800, 16, 4, 1.0, 1, all_labels);
  const Tensor test = all.Rows(400, 800);
  test_labels.assign(all_labels.begin() + 400, all_labels.end());

  const ProbeTrainingResult r = TrainLinearProbe(train, train_labels, {"a", "b", "c", "d"});
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.cv_folds, 5);
  ASSERT_EQ(r.cv_accuracy.size(), 10u);
  EXPECT_GT(*std::max_element(r.cv_accuracy.begin(), r.cv_accuracy.end()), 0.9);
  EXPECT_LT(r.cv_accuracy.front(), r.cv_accuracy.back()) << "C = 1e-4 underfits";
  const ClassificationReport report = EvaluateClassifier(r.head.Logits(test), test_labels, r.head.id2label);
  EXPECT_GT(report.accuracy, 0.9) << report.ToText();
  EXPECT_EQ(r.head.num_labels(), 4);
  EXPECT_EQ(r.head.hidden_size(), 16);
}

TEST(TrainLinearProbe, OneCMeansNoCrossValidation) {
  std::vector<int> labels;
  const Tensor x = Blobs(60, 4, 3, 1.0, 2, labels);
  ProbeTrainingOptions options;
  options.Cs = {0.5};
  const ProbeTrainingResult r = TrainLinearProbe(x, labels, {"a", "b", "c"}, options);
  EXPECT_TRUE(r.cv_accuracy.empty());
  EXPECT_EQ(r.head.C, 0.5);
}

TEST(TrainLinearProbe, RejectsOneClassAndBadLabels) {
  std::vector<int> labels;
  const Tensor x = Blobs(10, 4, 1, 1.0, 3, labels);
  try {
    TrainLinearProbe(x, labels, {"only", "unused"});
    FAIL() << "one class must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at least 2"), std::string::npos) << e.what();
  }
  labels[0] = 1;
  try {
    TrainLinearProbe(x, labels, {"a", "b", "ghost"});
    FAIL() << "a class without examples must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"ghost\" has no training example"), std::string::npos) << e.what();
  }
  labels[0] = 5;
  EXPECT_THROW(TrainLinearProbe(x, labels, {"a", "b"}), Error);
  EXPECT_THROW(TrainLinearProbe(x, std::vector<int>{0, 1}, {"a", "b"}), Error);
}

TEST(LinearHead, SaveLoadRoundTripsAndChecksWidth) {
  std::vector<int> labels;
  const Tensor x = Blobs(60, 8, 3, 1.0, 4, labels);
  ProbeTrainingOptions options;
  options.Cs = {1.0};
  LinearHead head = TrainLinearProbe(x, labels, {"cat", "dog", "élan"}, options).head;
  head.model = "some/model";
  head.features = Pooling::kMean;
  const auto dir = adapt::testing_util::FreshDir("head");
  head.Save(dir);
  const LinearHead loaded = LinearHead::Load(dir);
  EXPECT_EQ(loaded.model, "some/model");
  EXPECT_EQ(loaded.features, Pooling::kMean);
  EXPECT_EQ(loaded.id2label, head.id2label);
  EXPECT_EQ(loaded.C, 1.0);
  const Tensor a = head.Logits(x), b = loaded.Logits(x);
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(a.data()[i], b.data()[i]);

  try {
    loaded.Logits(Tensor::Zeros({2, 7}));
    FAIL() << "a 7-wide input must be refused by an 8-wide head";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("8-wide"), std::string::npos) << e.what();
  }
}

TEST(LinearHead, LoadNamesTheBrokenFile) {
  const auto dir = adapt::testing_util::FreshDir("broken");
  EXPECT_THROW(LinearHead::Load(dir), Error);  // nothing there
  std::vector<int> labels;
  const Tensor x = Blobs(30, 4, 2, 1.0, 5, labels);
  ProbeTrainingOptions options;
  options.Cs = {1.0};
  TrainLinearProbe(x, labels, {"a", "b"}, options).head.Save(dir);
  {
    std::ofstream(dir / "head_config.json") << R"({"model":"m","features":"cls","hidden_size":5,"num_labels":2,)"
                                               R"("C":1,"id2label":{"0":"a","1":"b"},"label2id":{}})";
  }
  try {
    LinearHead::Load(dir);
    FAIL() << "hidden_size 5 against a [2,4] classifier.weight must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("classifier.weight"), std::string::npos) << e.what();
  }
  { std::ofstream(dir / "head_config.json") << R"({"model":"m","features":"cls")"; }
  EXPECT_THROW(LinearHead::Load(dir), Error);
}

TEST(TopLabels, SoftmaxScoresBestFirst) {
  Tensor logits({1, 3});
  logits.data()[0] = 1.0f;
  logits.data()[1] = 3.0f;
  logits.data()[2] = 2.0f;
  const auto top = TopLabels(logits, {"a", "b"}, 5);
  ASSERT_EQ(top.size(), 1u);
  ASSERT_EQ(top[0].size(), 3u);
  EXPECT_EQ(top[0][0].label, "b");
  EXPECT_EQ(top[0][1].label, "LABEL_2");
  EXPECT_EQ(top[0][2].label, "a");
  const double z = std::exp(1.0) + std::exp(3.0) + std::exp(2.0);
  EXPECT_NEAR(top[0][0].score, std::exp(3.0) / z, 1e-6);
  EXPECT_NEAR(top[0][2].score, std::exp(1.0) / z, 1e-6);
  EXPECT_EQ(TopLabels(logits, {}, 1)[0].size(), 1u);
}

}  // namespace
}  // namespace vit
