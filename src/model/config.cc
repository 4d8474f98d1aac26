#include "model/config.h"

#include "io/json.h"
#include "io/regular_file.h"
#include "vit/error.h"

namespace vit::model {
namespace {

using json = io::Json;

class FieldReader {
 public:
  FieldReader(const json& root, const std::string& name) : root_(root), name_(name) {}

  template <typename T>
  void Read(const char* field, T& out) const {
    auto it = root_.find(field);
    if (it == root_.end() || it->is_null()) return;  // missing: ViTConfig's default
    try {
      if constexpr (std::is_same_v<T, bool>) {
        if (!it->is_boolean()) throw std::runtime_error("expected true or false");
      } else if constexpr (std::is_integral_v<T>) {
        if (!it->is_number_integer()) throw std::runtime_error("expected an integer");
      } else if constexpr (std::is_floating_point_v<T>) {
        if (!it->is_number()) throw std::runtime_error("expected a number");
      } else if constexpr (std::is_same_v<T, std::string>) {
        if (!it->is_string()) throw std::runtime_error("expected a string");
      }
      out = it->get<T>();
    } catch (const std::exception& e) {
      throw Fail(field, std::string(e.what()) + ", got " + it->dump());
    }
  }

  // image_size and patch_size may be an int or a square [n, n] pair.
  void ReadSquare(const char* field, int64_t& out) const {
    auto it = root_.find(field);
    if (it == root_.end() || it->is_null()) return;
    if (it->is_number_integer()) {
      out = it->get<int64_t>();
    } else if (it->is_array() && it->size() == 2 && (*it)[0].is_number_integer() && (*it)[0] == (*it)[1]) {
      out = (*it)[0].get<int64_t>();
    } else {
      throw Fail(field, "expected an integer or a square [n, n] pair, got " + it->dump());
    }
  }

  Error Fail(const std::string& field, const std::string& what) const {
    return Error(name_ + ": field '" + field + "': " + what, ErrorKind::kInvalidInput);
  }

 private:
  const json& root_;
  const std::string& name_;
};

void Require(bool ok, const FieldReader& r, const char* field, const std::string& what) {
  if (!ok) throw r.Fail(field, what);
}

}  // namespace

ViTConfig ParseConfig(std::string_view text, const std::string& name) {
  const json root = io::ParseJson(text, name);
  if (!root.is_object()) throw Error(name + ": expected a JSON object", ErrorKind::kInvalidInput);

  ViTConfig c;
  FieldReader r(root, name);
  r.Read("model_type", c.model_type);
  r.Read("hidden_size", c.hidden_size);
  r.Read("num_hidden_layers", c.num_hidden_layers);
  r.Read("num_attention_heads", c.num_attention_heads);
  r.Read("intermediate_size", c.intermediate_size);
  r.Read("hidden_act", c.hidden_act);
  r.Read("layer_norm_eps", c.layer_norm_eps);
  r.ReadSquare("image_size", c.image_size);
  r.ReadSquare("patch_size", c.patch_size);
  r.Read("num_channels", c.num_channels);
  r.Read("qkv_bias", c.qkv_bias);
  r.Read("encoder_stride", c.encoder_stride);
  r.Read("pooler_output_size", c.pooler_output_size);
  r.Read("pooler_act", c.pooler_act);
  if (c.pooler_output_size == 0) c.pooler_output_size = c.hidden_size;
  if (auto it = root.find("architectures"); it != root.end() && it->is_array())
    for (const auto& a : *it)
      if (a.is_string()) c.architectures.push_back(a.get<std::string>());

  if (auto it = root.find("id2label"); it != root.end() && it->is_object() && !it->empty()) {
    c.id2label.assign(it->size(), "");
    for (const auto& [key, value] : it->items()) {
      size_t index = 0;
      try {
        size_t used = 0;
        index = std::stoul(key, &used);
        if (used != key.size()) throw std::invalid_argument(key);
      } catch (const std::exception&) {
        throw r.Fail("id2label", "key '" + key + "' is not a class index");
      }
      if (index >= c.id2label.size())
        throw r.Fail("id2label", "class indices must be 0.." + std::to_string(c.id2label.size() - 1) + ", got " + key);
      if (!value.is_string()) throw r.Fail("id2label", "label of " + key + " is not a string");
      c.id2label[index] = value.get<std::string>();
    }
  }

  Require(c.model_type == "vit", r, "model_type", "expected \"vit\", got \"" + c.model_type + "\"");
  Require(c.hidden_size > 0 && c.hidden_size <= 65536, r, "hidden_size", "must be in 1..65536");
  Require(c.num_hidden_layers >= 0 && c.num_hidden_layers <= 1024, r, "num_hidden_layers", "must be in 0..1024");
  Require(c.num_attention_heads > 0, r, "num_attention_heads", "must be positive");
  Require(c.hidden_size % c.num_attention_heads == 0, r, "num_attention_heads",
          "hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of " +
              std::to_string(c.num_attention_heads));
  Require(c.intermediate_size > 0 && c.intermediate_size <= 1 << 20, r, "intermediate_size", "must be in 1..2^20");
  Require(c.hidden_act == "gelu", r, "hidden_act",
          "only \"gelu\" (exact erf GELU, ViT's) is supported, got \"" + c.hidden_act + "\"");
  Require(c.pooler_act == "tanh", r, "pooler_act", "only \"tanh\" is supported, got \"" + c.pooler_act + "\"");
  Require(c.layer_norm_eps > 0 && c.layer_norm_eps < 1, r, "layer_norm_eps", "must be in (0, 1)");
  Require(c.patch_size > 0 && c.patch_size <= 1024, r, "patch_size", "must be in 1..1024");
  Require(c.image_size >= c.patch_size && c.image_size <= 16384, r, "image_size",
          "must be in patch_size..16384");
  Require(c.num_channels > 0 && c.num_channels <= 64, r, "num_channels", "must be in 1..64");
  Require(c.pooler_output_size > 0 && c.pooler_output_size <= 65536, r, "pooler_output_size", "must be positive");
  return c;
}

ViTConfig LoadConfig(const std::filesystem::path& model_dir) {
  const auto path = model_dir / "config.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw Error(path.string() + ": cannot read (a model folder needs config.json)", ErrorKind::kNotFound);
  }
  return ParseConfig(io::ReadRegularTextFile(path, io::JsonLimits{}.max_bytes, "a JSON file"), path.string());
}

}  // namespace vit::model
