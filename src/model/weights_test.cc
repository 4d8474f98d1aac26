#include "model/weights.h"

#include <gtest/gtest.h>

#include <map>

#include "model/config.h"
#include "vit/error.h"

namespace vit::model {
namespace {

// A checkpoint held in memory, shaped as a tiny ViTModel's.
class MemorySource : public io::TensorSource {
 public:
  MemorySource() = default;
  // Records point into data_: a copy would point into the original.
  MemorySource(const MemorySource&) = delete;
  MemorySource(MemorySource&&) = default;
  void Add(const std::string& name, std::vector<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    auto& storage = data_[name];
    storage.assign(static_cast<size_t>(n), 0.01f);
    records_.push_back({name, io::DType::kF32, std::move(shape), reinterpret_cast<const std::byte*>(storage.data()),
                        static_cast<size_t>(n) * sizeof(float)});
  }
  void Remove(const std::string& name) {
    std::erase_if(records_, [&](const io::TensorRecord& r) { return r.name == name; });
  }
  void Reshape(const std::string& name, std::vector<int64_t> shape) {
    for (auto& r : records_)
      if (r.name == name) r.shape = std::move(shape);
  }
  const std::vector<io::TensorRecord>& tensors() const override { return records_; }
  const std::filesystem::path& path() const override { return path_; }
  uint64_t file_bytes() const override { return 0; }

 private:
  std::map<std::string, std::vector<float>> data_;
  std::vector<io::TensorRecord> records_;
  std::filesystem::path path_ = "mem/model.safetensors";
};

ViTConfig TinyConfig() {
  return ParseConfig(R"({"hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
      "intermediate_size": 16, "image_size": 8, "patch_size": 4})");
}

MemorySource TinyCheckpoint(const std::string& prefix, bool pooler, int labels) {
  MemorySource s;
  const int64_t d = 8;
  s.Add(prefix + "embeddings.cls_token", {1, 1, d});
  s.Add(prefix + "embeddings.position_embeddings", {1, 5, d});
  s.Add(prefix + "embeddings.patch_embeddings.projection.weight", {d, 3, 4, 4});
  s.Add(prefix + "embeddings.patch_embeddings.projection.bias", {d});
  for (int i = 0; i < 2; ++i) {
    const std::string L = prefix + "encoder.layer." + std::to_string(i) + ".";
    for (const char* n : {"query", "key", "value"}) {
      s.Add(L + "attention.attention." + n + ".weight", {d, d});
      s.Add(L + "attention.attention." + n + ".bias", {d});
    }
    s.Add(L + "attention.output.dense.weight", {d, d});
    s.Add(L + "attention.output.dense.bias", {d});
    s.Add(L + "intermediate.dense.weight", {16, d});
    s.Add(L + "intermediate.dense.bias", {16});
    s.Add(L + "output.dense.weight", {d, 16});
    s.Add(L + "output.dense.bias", {d});
    for (const char* n : {"layernorm_before", "layernorm_after"}) {
      s.Add(L + n + ".weight", {d});
      s.Add(L + n + ".bias", {d});
    }
  }
  s.Add(prefix + "layernorm.weight", {d});
  s.Add(prefix + "layernorm.bias", {d});
  if (pooler) {
    s.Add(prefix + "pooler.dense.weight", {d, d});
    s.Add(prefix + "pooler.dense.bias", {d});
  }
  if (labels > 0) {
    s.Add("classifier.weight", {labels, d});
    s.Add("classifier.bias", {labels});
  }
  return s;
}

std::string BindError(MemorySource& s, const ViTConfig& c) {
  try {
    BindWeights(s, c, kernels::GemmPrecision::kF32);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Weights, BindsViTModelAndClassifierLayouts) {
  const ViTConfig c = TinyConfig();
  MemorySource plain = TinyCheckpoint("", true, 0);
  ViTWeights w = BindWeights(plain, c, kernels::GemmPrecision::kF32);
  EXPECT_EQ(w.layers.size(), 2u);
  EXPECT_TRUE(w.pooler.has_value());
  EXPECT_FALSE(w.classifier.has_value());
  EXPECT_EQ(w.layers[0].qkv.out_features(), 24);
  EXPECT_EQ(w.patch_projection.in_features(), 48);

  MemorySource prefixed = TinyCheckpoint("vit.", false, 3);
  ViTWeights cls = BindWeights(prefixed, c, kernels::GemmPrecision::kF32);
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
