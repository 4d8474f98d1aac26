#include "model/weights.h"

#include <gtest/gtest.h>

#include "model/config.h"
#include "model/model_testing.h"
#include "vit/error.h"

namespace vit::model {
namespace {

std::string BindError(MemorySource& s, const ViTConfig& c) {
  try {
    BindWeights(s, c, Precision::kF32);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Weights, BindsViTModelAndClassifierLayouts) {
  const ViTConfig c = TinyConfig();
  MemorySource plain = TinyCheckpoint("", true, 0);
  ViTWeights w = BindWeights(plain, c, Precision::kF32);
  EXPECT_EQ(w.layers.size(), 2u);
  EXPECT_TRUE(w.pooler.has_value());
  EXPECT_FALSE(w.classifier.has_value());
  EXPECT_EQ(w.layers[0].qkv.out_features(), 24);
  EXPECT_EQ(w.patch_projection.in_features(), 48);

  MemorySource prefixed = TinyCheckpoint("vit.", false, 3);
  ViTWeights cls = BindWeights(prefixed, c, Precision::kF32);
  EXPECT_FALSE(cls.pooler.has_value());
  ASSERT_TRUE(cls.classifier.has_value());
  EXPECT_EQ(cls.classifier->out_features(), 3);
}

TEST(Weights, MissingTensorIsNamedWithItsShape) {
  MemorySource s = TinyCheckpoint("", true, 0);
  s.Remove("encoder.layer.1.attention.attention.key.weight");
  EXPECT_EQ(BindError(s, TinyConfig()),
            "mem/model.safetensors: missing tensor 'encoder.layer.1.attention.attention.key.weight' "
            "(expected shape [8, 8])");
}

TEST(Weights, MisShapedTensorNamesBothShapes) {
  MemorySource s = TinyCheckpoint("", true, 0);
  s.Reshape("encoder.layer.0.intermediate.dense.weight", {8, 16});
  EXPECT_EQ(BindError(s, TinyConfig()),
            "mem/model.safetensors: tensor 'encoder.layer.0.intermediate.dense.weight' has shape [8, 16], "
            "expected [16, 8]");
}

TEST(Weights, UnexpectedTensorIsAnError) {
  MemorySource s = TinyCheckpoint("", true, 0);
  s.Add("encoder.layer.2.output.dense.bias", {8});
  const std::string e = BindError(s, TinyConfig());
  EXPECT_NE(e.find("1 unexpected tensor(s)"), std::string::npos) << e;
  EXPECT_NE(e.find("'encoder.layer.2.output.dense.bias' [8]"), std::string::npos) << e;
}

TEST(Weights, QkvBiasFalseNeedsNoBiasTensors) {
  ViTConfig c = TinyConfig();
  c.qkv_bias = false;
  MemorySource s = TinyCheckpoint("", true, 0);
  for (int i = 0; i < 2; ++i)
    for (const char* n : {"query", "key", "value"})
      s.Remove("encoder.layer." + std::to_string(i) + ".attention.attention." + n + ".bias");
  EXPECT_EQ(BindError(s, c), "");
}

TEST(Weights, ClassifierWidthMustMatchId2label) {
  ViTConfig c = TinyConfig();
  c.id2label = {"a", "b"};
  MemorySource s = TinyCheckpoint("vit.", false, 3);
  const std::string e = BindError(s, c);
  EXPECT_NE(e.find("'classifier.weight' has 3 rows but config.json's id2label names 2 labels"), std::string::npos) << e;
}

}  // namespace
}  // namespace vit::model
