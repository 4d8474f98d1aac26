#include "vit/pooling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "vit/error.h"
#include "vit/model.h"

namespace vit {
namespace {

Tensor Hidden() {
  Tensor t({1, 3, 2});  // [CLS], two patch tokens
  const float v[] = {1, 2, 3, 4, 6, 9};
  std::copy(v, v + 6, t.data());
  return t;
}

std::vector<float> Values(const Tensor& t) { return {t.data(), t.data() + t.numel()}; }

TEST(Pooling, ParsesTheFourNamesAndEmbedsOutputName) {
  EXPECT_EQ(ParsePooling("pooler"), Pooling::kPooler);
  EXPECT_EQ(ParsePooling("pooler_output"), Pooling::kPooler);
  EXPECT_EQ(ParsePooling("cls"), Pooling::kCls);
  EXPECT_EQ(ParsePooling("mean"), Pooling::kMean);
  EXPECT_EQ(ParsePooling("image_embeds"), Pooling::kImageEmbeds);
  for (Pooling p : {Pooling::kPooler, Pooling::kCls, Pooling::kMean, Pooling::kImageEmbeds}) {
    EXPECT_EQ(ParsePooling(PoolingName(p)), p);
    EXPECT_EQ(ParsePooling(PoolingOutputName(p)), p);
  }
  EXPECT_STREQ(PoolingOutputName(Pooling::kPooler), "pooler_output");
  EXPECT_STREQ(PoolingOutputName(Pooling::kImageEmbeds), "image_embeds");
  try {
    ParsePooling("max");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("pooling"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("max"), std::string::npos);
  }
}

TEST(Pooling, DefaultIsImageEmbedsThenThePoolerThenCls) {
  EXPECT_EQ(DefaultPooling(true, false), Pooling::kPooler);
  EXPECT_EQ(DefaultPooling(false, false), Pooling::kCls);
  EXPECT_EQ(DefaultPooling(true, true), Pooling::kImageEmbeds) << "CLIPVisionModelWithProjection";
  ModelInfo info;
  info.has_pooler = true;
  EXPECT_EQ(DefaultPooling(info), Pooling::kPooler);
  info.has_image_embeds = true;
  EXPECT_EQ(DefaultPooling(info), Pooling::kImageEmbeds);
}

TEST(Pooling, PooledWidthIsEachOutputsWidth) {
  ViTConfig c;
  c.hidden_size = 8;
  c.pooler_output_size = 6;
  c.projection_dim = 4;
  EXPECT_EQ(PooledWidth(c, Pooling::kPooler), 6);
  EXPECT_EQ(PooledWidth(c, Pooling::kImageEmbeds), 4);
  EXPECT_EQ(PooledWidth(c, Pooling::kCls), 8);
  EXPECT_EQ(PooledWidth(c, Pooling::kMean), 8);
}

TEST(Pooling, ImageEmbedsIsTheModelOutputsOrAnErrorNamingIt) {
  ModelOutput output;
  output.last_hidden_state = Hidden();
  try {
    Pool(output, Pooling::kImageEmbeds);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("visual_projection"), std::string::npos);
  }
  output.image_embeds = Tensor({1, 3});
  const float v[] = {0.5f, -2, 7};
  std::copy(v, v + 3, output.image_embeds.data());
  const Tensor pooled = Pool(output, Pooling::kImageEmbeds);
  EXPECT_EQ(Values(pooled), (std::vector<float>{0.5f, -2, 7}));
  EXPECT_NE(pooled.data(), output.image_embeds.data()) << "a copy, as the other poolings";
  EXPECT_THROW(Pool(Hidden(), {}, Pooling::kImageEmbeds), Error) << "the tensors alone do not hold it";
}

TEST(Pooling, RequirePoolingNamesTheModelAndWhatItOffers) {
  ModelInfo info;
  info.source = "org/siglip";
  info.has_pooler = true;
  info.leading_tokens = 0;
  RequirePooling(info, Pooling::kPooler);
  RequirePooling(info, Pooling::kMean);
  for (Pooling p : {Pooling::kCls, Pooling::kImageEmbeds}) {
    try {
      RequirePooling(info, p);
      FAIL() << PoolingName(p);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
      const std::string m = e.what();
      EXPECT_NE(m.find("org/siglip"), std::string::npos) << m;
      EXPECT_NE(m.find(PoolingName(p)), std::string::npos) << m;
      EXPECT_NE(m.find("use pooler, mean"), std::string::npos) << m;
    }
  }
  info.has_image_embeds = true;
  RequirePooling(info, Pooling::kImageEmbeds);
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
