#include "serve/pooling.h"

#include <gtest/gtest.h>

#include <cmath>

#include "vit/error.h"

namespace vit::serve {
namespace {

Tensor Hidden() {
  Tensor t({1, 3, 2});  // [CLS], two patch tokens
  const float v[] = {1, 2, 3, 4, 6, 9};
  std::copy(v, v + 6, t.data());
  return t;
}

TEST(Pooling, ParsesTheThreeNames) {
  EXPECT_EQ(ParsePooling("pooler"), Pooling::kPooler);
  EXPECT_EQ(ParsePooling("cls"), Pooling::kCls);
  EXPECT_EQ(ParsePooling("mean"), Pooling::kMean);
  try {
    ParsePooling("max");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("\"pooling\""), std::string::npos);
  }
}

TEST(Pooling, ClsIsTheFirstToken) { EXPECT_EQ(Pool(Hidden(), {}, Pooling::kCls), (std::vector<float>{1, 2})); }

TEST(Pooling, MeanSkipsTheClsToken) { EXPECT_EQ(Pool(Hidden(), {}, Pooling::kMean), (std::vector<float>{4.5f, 6.5f})); }

TEST(Pooling, PoolerIsPoolerOutputOrAnErrorNamingIt) {
  Tensor pooler({1, 2});
  pooler.data()[0] = 0.25f;
  pooler.data()[1] = -1;
  EXPECT_EQ(Pool(Hidden(), pooler, Pooling::kPooler), (std::vector<float>{0.25f, -1}));
  try {
    Pool(Hidden(), {}, Pooling::kPooler);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("pooler"), std::string::npos);
  }
}

TEST(Pooling, L2NormalizeGivesAUnitVectorAndKeepsZero) {
  std::vector<float> v = {3, 4};
  L2Normalize(v);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  std::vector<float> zero = {0, 0};
  L2Normalize(zero);
  EXPECT_EQ(zero, (std::vector<float>{0, 0}));
}

}  // namespace
}  // namespace vit::serve
