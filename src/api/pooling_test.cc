#include "vit/pooling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "vit/error.h"

namespace vit {
namespace {

Tensor Hidden() {
  Tensor t({1, 3, 2});  // [CLS], two patch tokens
  const float v[] = {1, 2, 3, 4, 6, 9};
  std::copy(v, v + 6, t.data());
  return t;
}

std::vector<float> Values(const Tensor& t) { return {t.data(), t.data() + t.numel()}; }

TEST(Pooling, ParsesTheThreeNamesAndEmbedsOutputName) {
  EXPECT_EQ(ParsePooling("pooler"), Pooling::kPooler);
  EXPECT_EQ(ParsePooling("pooler_output"), Pooling::kPooler);
  EXPECT_EQ(ParsePooling("cls"), Pooling::kCls);
  EXPECT_EQ(ParsePooling("mean"), Pooling::kMean);
  for (Pooling p : {Pooling::kPooler, Pooling::kCls, Pooling::kMean}) {
    EXPECT_EQ(ParsePooling(PoolingName(p)), p);
    EXPECT_EQ(ParsePooling(PoolingOutputName(p)), p);
  }
  EXPECT_STREQ(PoolingOutputName(Pooling::kPooler), "pooler_output");
  try {
    ParsePooling("max");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("pooling"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("max"), std::string::npos);
  }
}

TEST(Pooling, DefaultIsThePoolerWhenThereIsOneElseCls) {
  EXPECT_EQ(DefaultPooling(true), Pooling::kPooler);
  EXPECT_EQ(DefaultPooling(false), Pooling::kCls);
}

TEST(Pooling, ClsIsTheFirstToken) { EXPECT_EQ(Values(Pool(Hidden(), {}, Pooling::kCls)), (std::vector<float>{1, 2})); }

TEST(Pooling, MeanSkipsTheClsToken) {
  EXPECT_EQ(Values(Pool(Hidden(), {}, Pooling::kMean)), (std::vector<float>{4.5f, 6.5f}));
}

// DeiT's distillation token and DINOv2's registers precede the patches too; SigLIP has no [CLS].
TEST(Pooling, MeanSkipsEveryLeadingTokenAndClsNeedsOne) {
  EXPECT_EQ(Values(Pool(Hidden(), {}, Pooling::kMean, 2)), (std::vector<float>{6, 9}));
  EXPECT_EQ(Values(Pool(Hidden(), {}, Pooling::kMean, 0)), (std::vector<float>{10.0f / 3, 5}));
  EXPECT_EQ(Values(Pool(Hidden(), {}, Pooling::kCls, 2)), (std::vector<float>{1, 2}));
  ModelOutput output;
  output.last_hidden_state = Hidden();
  output.leading_tokens = 2;
  EXPECT_EQ(Values(Pool(output, Pooling::kMean)), (std::vector<float>{6, 9}));
  output.leading_tokens = 0;
  try {
    Pool(output, Pooling::kCls);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("[CLS]"), std::string::npos);
  }
  EXPECT_THROW(Pool(Hidden(), {}, Pooling::kMean, 3), Error) << "no patch token left";
}

TEST(Pooling, PoolerIsPoolerOutputOrAnErrorNamingIt) {
  Tensor pooler({1, 2});
  pooler.data()[0] = 0.25f;
  pooler.data()[1] = -1;
  EXPECT_EQ(Values(Pool(Hidden(), pooler, Pooling::kPooler)), (std::vector<float>{0.25f, -1}));
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

TEST(Pooling, L2NormalizeRowsIsL2NormalizeOfEachRow) {
  Tensor rows({2, 2});
  const float v[] = {3, 4, 0, 0};
  std::copy(v, v + 4, rows.data());
  L2NormalizeRows(rows);
  EXPECT_EQ(Values(rows), (std::vector<float>{0.6f, 0.8f, 0, 0}));
  Tensor wrong({2});
  EXPECT_THROW(L2NormalizeRows(wrong), Error);
}

}  // namespace
}  // namespace vit
