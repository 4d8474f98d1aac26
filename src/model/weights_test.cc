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

// A full CLIPModel checkpoint: the vision tower under vision_model., visual_projection at the root, and a
// text tower that binding must skip.
MemorySource TinyClip(bool text_tower) {
  MemorySource s;
  const int64_t d = 8;
  const std::string V = "vision_model.";
  s.Add(V + "embeddings.class_embedding", {d});
  s.Add(V + "embeddings.patch_embedding.weight", {d, 3, 4, 4});
  s.Add(V + "embeddings.position_embedding.weight", {5, d});
  s.Add(V + "embeddings.position_ids", {1, 5});
  for (const char* n : {"pre_layrnorm", "post_layernorm"}) {
    s.Add(V + n + ".weight", {d});
    s.Add(V + n + ".bias", {d});
  }
  for (int i = 0; i < 2; ++i) {
    const std::string L = V + "encoder.layers." + std::to_string(i) + ".";
    for (const char* n : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      s.Add(L + "self_attn." + n + ".weight", {d, d});
      s.Add(L + "self_attn." + n + ".bias", {d});
    }
    s.Add(L + "mlp.fc1.weight", {16, d});
    s.Add(L + "mlp.fc1.bias", {16});
    s.Add(L + "mlp.fc2.weight", {d, 16});
    s.Add(L + "mlp.fc2.bias", {d});
    for (const char* n : {"layer_norm1", "layer_norm2"}) {
      s.Add(L + n + ".weight", {d});
      s.Add(L + n + ".bias", {d});
    }
  }
  s.Add("visual_projection.weight", {6, d});
  if (text_tower) {
    s.Add("text_model.embeddings.token_embedding.weight", {10, 4});
    s.Add("text_model.final_layer_norm.weight", {4});
    s.Add("text_projection.weight", {6, 4});
    s.Add("logit_scale", {});
  }
  return s;
}

TEST(Weights, BindsAFullClipModelSkippingItsTextTower) {
  ViTConfig c = TinyConfig();
  c.model_type = "clip";
  c.projection_dim = 6;
  MemorySource full = TinyClip(true);
  const ViTWeights w = BindWeights(full, c, Precision::kF32);
  ASSERT_TRUE(w.visual_projection.has_value());
  EXPECT_EQ(w.visual_projection->out_features(), 6);
  EXPECT_TRUE(w.pre_layernorm.has_value());
  EXPECT_TRUE(w.post_layernorm.has_value());
  EXPECT_FALSE(w.layernorm.has_value());
  EXPECT_FALSE(w.pooler.has_value());

  MemorySource missing = TinyClip(true);
  missing.Remove("vision_model.encoder.layers.1.self_attn.k_proj.weight");
  EXPECT_NE(BindError(missing, c).find("vision_model.encoder.layers.1.self_attn.k_proj.weight"), std::string::npos);
}

}  // namespace
}  // namespace vit::model
