#include "adapt/stratified_folds.h"

#include <gtest/gtest.h>

#include <map>

#include "vit/error.h"
#include "vit/probe.h"

namespace vit::adapt {
namespace {

TEST(StratifiedFolds, EveryFoldSeesEveryClassInProportion) {
  std::vector<int> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(i < 60 ? 0 : (i < 90 ? 1 : 2));
  const std::vector<int> fold = AssignStratifiedFolds(labels, 5, 7);
  std::map<std::pair<int, int>, int> count;  // (fold, label)
  std::map<int, int> size;
  for (size_t i = 0; i < labels.size(); ++i) {
    ++count[{fold[i], labels[i]}];
    ++size[fold[i]];
  }
  for (int f = 0; f < 5; ++f) {
    EXPECT_EQ(size[f], 20);
    EXPECT_EQ((count[{f, 0}]), 12);
    EXPECT_EQ((count[{f, 1}]), 6);
    EXPECT_EQ((count[{f, 2}]), 2);
  }
  EXPECT_EQ(AssignStratifiedFolds(labels, 5, 7), fold) << "the same seed gives the same folds";
  EXPECT_NE(AssignStratifiedFolds(labels, 5, 8), fold);
}

TEST(StratifiedFolds, UsableFoldsFollowsTheSmallestClass) {
  EXPECT_EQ(UsableFolds(std::vector<int>{0, 0, 0, 1, 1, 1}, 5), 3);
  EXPECT_EQ(UsableFolds(std::vector<int>{0, 0, 0, 1}, 5), 0);
  EXPECT_EQ(UsableFolds(std::vector<int>(20, 0), 5), 5);
}

TEST(SplitStratified, KeepsEveryClassOnBothSides) {
  std::vector<int> labels;
  for (int i = 0; i < 53; ++i) labels.push_back(i % 4 == 0 ? 1 : 0);  // 14 of label 1
  labels.push_back(2);                                                  // a single image of label 2
  labels.push_back(3);
  labels.push_back(3);
  std::vector<size_t> train, validation;
  SplitStratified(labels, 0.2, 1, train, validation);
  EXPECT_EQ(train.size() + validation.size(), labels.size());
  std::map<int, int> val_count, train_count;
  for (size_t i : validation) ++val_count[labels[i]];
  for (size_t i : train) ++train_count[labels[i]];
  EXPECT_EQ(val_count[0], 8);  // round(0.2 * 39)
  EXPECT_EQ(val_count[1], 3);  // round(0.2 * 14)
  EXPECT_EQ(val_count[2], 0);  // a lone image stays in train
  EXPECT_EQ(train_count[2], 1);
  EXPECT_EQ(val_count[3], 1);  // at least one on each side
  EXPECT_EQ(train_count[3], 1);
  EXPECT_THROW(SplitStratified(labels, 1.0, 1, train, validation), Error);
  EXPECT_THROW(SplitStratified(labels, -0.1, 1, train, validation), Error);
}

}  // namespace
}  // namespace vit::adapt
