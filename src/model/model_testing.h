// A tiny ViT checkpoint held in memory, in the Hugging Face layout, for the model layer's unit tests.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "io/tensor_source.h"
#include "model/config.h"

namespace vit::model {

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
    // Varied values where outputs are compared: a constant would make every token's output the same.
    if (varied_) {
      for (size_t i = 0; i < storage.size(); ++i)
        storage[i] = 0.05f * std::sin(static_cast<float>(i * 7 + name.size() * 13));
    }
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
  void set_varied(bool varied) { varied_ = varied; }
  const std::vector<io::TensorRecord>& tensors() const override { return records_; }
  const std::filesystem::path& path() const override { return path_; }
  uint64_t file_bytes() const override { return 0; }

 private:
  std::map<std::string, std::vector<float>> data_;
  std::vector<io::TensorRecord> records_;
  std::filesystem::path path_ = "mem/model.safetensors";
  bool varied_ = false;
};

inline ViTConfig TinyConfig() {
  return ParseConfig(R"({"hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
      "intermediate_size": 16, "image_size": 8, "patch_size": 4})");
}

// `varied`: weights that differ from one another (else all 0.01).
inline MemorySource TinyCheckpoint(const std::string& prefix, bool pooler, int labels, bool varied = false) {
  MemorySource s;
  s.set_varied(varied);
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

}  // namespace vit::model
