#include "vit/tensor.h"

#include <gtest/gtest.h>

#include "vit/error.h"

namespace vit {
namespace {

TEST(Tensor, RowsShareStorageAndCheckBounds) {
  Tensor t = Tensor::Zeros({4, 3});
  for (int i = 0; i < 12; ++i) t.data()[i] = static_cast<float>(i);
  Tensor r = t.Rows(1, 3);
  EXPECT_EQ(r.ShapeString(), "[2,3]");
  EXPECT_EQ(r.data()[0], 3.0f);
  r.data()[0] = -1.0f;
  EXPECT_EQ(t.data()[3], -1.0f);
  EXPECT_THROW(t.Rows(3, 5), Error);
  EXPECT_THROW(t.Reshaped({5, 3}), Error);
  EXPECT_EQ(t.Reshaped({12}).numel(), 12);
}

TEST(Tensor, SoleOwnerUntilACopyOrViewShares) {
  Tensor t({4, 2});
  EXPECT_TRUE(t.sole_owner());
  {
    const Tensor copy = t;
    EXPECT_FALSE(t.sole_owner());
  }
  EXPECT_TRUE(t.sole_owner());
  {
    const Tensor rows = t.Rows(1, 2), reshaped = t.Reshaped({8});
    EXPECT_FALSE(t.sole_owner());
  }
  EXPECT_TRUE(t.sole_owner());
  EXPECT_TRUE(t.Clone().sole_owner());
  EXPECT_FALSE(Tensor().sole_owner());
}

TEST(Tensor, AlignedAndCloneIsDeep) {
  Tensor t({3, 5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  t.data()[0] = 1.0f;
  Tensor c = t.Clone();
  c.data()[0] = 2.0f;
  EXPECT_EQ(t.data()[0], 1.0f);
}

TEST(Tensor, RejectsNegativeAndOverflowingShapes) {
  EXPECT_THROW(Tensor({-1, 3}), Error);
  EXPECT_THROW(Tensor({INT64_MAX, 4}), Error);
}

}  // namespace
}  // namespace vit
