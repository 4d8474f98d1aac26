#include "model/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "vit/error.h"

namespace vit::model {
namespace {

std::string ErrorOf(const std::string& json) {
  try {
    ParseConfig(json, "config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, ReadsViTLargeAndDefaults) {
  const ViTConfig c = ParseConfig(R"({"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
      "intermediate_size": 4096, "id2label": {"1": "dog", "0": "cat"}, "architectures": ["ViTModel"]})");
  EXPECT_EQ(c.hidden_size, 1024);
  EXPECT_EQ(c.head_dim(), 64);
  EXPECT_EQ(c.image_size, 224);
  EXPECT_EQ(c.patch_size, 16);
  EXPECT_EQ(c.num_patches(), 196);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_EQ(c.pooler_output_size, 1024);
  ASSERT_EQ(c.id2label.size(), 2u);
  EXPECT_EQ(c.id2label[0], "cat");
  EXPECT_EQ(c.id2label[1], "dog");
}

TEST(Config, ErrorsNameTheField) {
  EXPECT_NE(ErrorOf(R"({"hidden_size": "big"})").find("config.json: field \"hidden_size\": expected a whole number"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"hidden_size": 100, "num_attention_heads": 3})").find("num_attention_heads"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"hidden_act": "relu"})").find("hidden_act"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"model_type": "bert"})").find("model_type"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"image_size": [224, 160]})").find("image_size"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"id2label": {"x": "cat"}})").find("id2label"), std::string::npos);
  EXPECT_NE(ErrorOf("{not json").find("config.json: invalid JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("[1, 2]").find("expected a JSON object"), std::string::npos);
}

// `vit inspect` on such a file used to parse it unchecked and then pretty-print it: quadratic time,
// a stack overflow at the end.
TEST(Config, RefusesDuplicatesAndDeepNestingThroughTheStrictParser) {
  const std::string deep = "{\"unused\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_NE(ErrorOf(deep).find("config.json: JSON nested deeper than 64 levels"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"hidden_size": 8, "hidden_size": 16})").find("duplicate JSON key \"hidden_size\""),
            std::string::npos);
}

TEST(Config, LoadConfigReadsOnlyARegularFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("vit_config_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::create_symlink("/dev/zero", dir / "config.json");
  try {
    LoadConfig(dir);
    ADD_FAILURE() << "read /dev/zero as config.json";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "config.json").string() + ": not a regular file"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(Config, AcceptsSquarePairsAndQkvBias) {
  const ViTConfig c = ParseConfig(R"({"image_size": [384, 384], "patch_size": 32, "qkv_bias": false,
      "layer_norm_eps": 1e-6})");
  EXPECT_EQ(c.image_size, 384);
  EXPECT_EQ(c.num_patches(), 144);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-6);
}

TEST(Config, FamiliesTakeTheirConfigClassDefaults) {
  const ViTConfig dinov2 = ParseConfig(R"({"model_type": "dinov2", "hidden_size": 1024, "num_attention_heads": 16,
      "image_size": 518})");
  EXPECT_EQ(dinov2.patch_size, 14);
  EXPECT_DOUBLE_EQ(dinov2.layer_norm_eps, 1e-6);
  EXPECT_EQ(dinov2.intermediate_size, 4096);  // int(hidden_size * mlp_ratio)
  EXPECT_EQ(dinov2.num_patches(), 37 * 37);

  const ViTConfig registers = ParseConfig(R"({"model_type": "dinov2_with_registers"})");
  EXPECT_EQ(registers.num_register_tokens, 4);

  // A full CLIPModel config: the tower's fields from vision_config, the projection's width from the top.
  const ViTConfig clip = ParseConfig(R"({"model_type": "clip", "projection_dim": 768, "text_config": {"x": 1},
      "vision_config": {"hidden_size": 1024, "patch_size": 14, "num_attention_heads": 16, "intermediate_size": 4096}})");
  EXPECT_EQ(clip.hidden_size, 1024);
  EXPECT_EQ(clip.patch_size, 14);
  EXPECT_EQ(clip.hidden_act, "quick_gelu");
  EXPECT_DOUBLE_EQ(clip.layer_norm_eps, 1e-5);
  EXPECT_EQ(clip.projection_dim, 768);

  const ViTConfig siglip = ParseConfig(R"({"model_type": "siglip_vision_model"})");
  EXPECT_EQ(siglip.hidden_act, "gelu_pytorch_tanh");
  EXPECT_EQ(siglip.patch_size, 16);
  EXPECT_TRUE(siglip.vision_use_head);

  EXPECT_NE(ErrorOf(R"({"model_type": "clip", "vision_config": {"hidden_act": "relu"}})").find("vision_config"),
            std::string::npos);
}

}  // namespace
}  // namespace vit::model
