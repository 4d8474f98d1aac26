#include "vit/bench.h"

#include <gtest/gtest.h>

namespace vit {
namespace {

ViTConfig LargePatch16() {
  ViTConfig c;
  c.hidden_size = 1024;
  c.num_hidden_layers = 24;
  c.num_attention_heads = 16;
  c.intermediate_size = 4096;
  return c;
}

TEST(StageFlops, SplitViTLargeByModule) {
  const ViTConfig c = LargePatch16();
  const StageValues f = StageFlopsPerImage(c, /*has_pooler=*/true, /*has_classifier=*/false);
  const double t = 197, d = 1024, layers = 24;
  EXPECT_DOUBLE_EQ(f[Stage::kEmbeddings], 2 * 196 * (3 * 16 * 16) * d);
  EXPECT_DOUBLE_EQ(f[Stage::kLayerNorm], 0);
  EXPECT_DOUBLE_EQ(f[Stage::kQueryKeyValue], layers * 2 * t * d * 3 * d);
  EXPECT_DOUBLE_EQ(f[Stage::kAttention], layers * 4 * t * t * d);
  EXPECT_DOUBLE_EQ(f[Stage::kAttentionOutput], layers * 2 * t * d * d);
  EXPECT_DOUBLE_EQ(f[Stage::kIntermediate], layers * 2 * t * d * 4096);
  EXPECT_DOUBLE_EQ(f[Stage::kOutput], f[Stage::kIntermediate]);
  EXPECT_DOUBLE_EQ(f[Stage::kHead], 2 * d * d);
  // The figure the issue and the README quote for ViT-L/16 at 224.
  EXPECT_NEAR(ForwardFlopsPerImage(c, true, false) / 1e9, 123.1, 0.05);
  EXPECT_DOUBLE_EQ(f.Sum(), ForwardFlopsPerImage(c, true, false));
}

TEST(StageFlops, HeadCountsThePoolerAndTheClassifierThatExist) {
  ViTConfig c = LargePatch16();
  c.id2label = {"cat", "dog", "bird"};
  EXPECT_DOUBLE_EQ(StageFlopsPerImage(c, false, false)[Stage::kHead], 0);
  EXPECT_DOUBLE_EQ(StageFlopsPerImage(c, false, true)[Stage::kHead], 2 * 1024 * 3);
  c.pooler_output_size = 512;
  EXPECT_DOUBLE_EQ(StageFlopsPerImage(c, true, true)[Stage::kHead], 2 * 1024 * 512 + 2 * 1024 * 3);
}

TEST(StageNames, AreDistinctModulePaths) {
  for (size_t i = 0; i < kStageCount; ++i) {
    EXPECT_STRNE(StageName(kStages[i]), "?");
    for (size_t j = 0; j < i; ++j) EXPECT_STRNE(StageName(kStages[i]), StageName(kStages[j]));
  }
}

TEST(Bench, TokensCountEachFamilysLeadingTokens) {
  ViTConfig c;  // ViT-B/16: 196 patches + [CLS]
  const double vit = StageFlopsPerImage(c, false, false)[Stage::kQueryKeyValue];
  c.model_type = "deit";  // + the distillation token
  EXPECT_DOUBLE_EQ(StageFlopsPerImage(c, false, false)[Stage::kQueryKeyValue] / vit, 198.0 / 197.0);
  c.model_type = "siglip_vision_model";  // no [CLS]
  EXPECT_DOUBLE_EQ(StageFlopsPerImage(c, false, false)[Stage::kQueryKeyValue] / vit, 196.0 / 197.0);
}

}  // namespace
}  // namespace vit
