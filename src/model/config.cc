#include "model/config.h"

#include "io/json.h"
#include "io/json_fields.h"
#include "io/regular_file.h"
#include "vit/error.h"

namespace vit::model {
namespace {

using json = io::Json;

// image_size and patch_size may be an int or a square [n, n] pair.
void ReadSquare(const io::JsonFields& r, const char* field, int64_t& out) {
  const json* v = r.Find(field);
  if (v == nullptr || v->is_null()) return;
  if (v->is_number_integer()) {
    out = r.Convert<int64_t>(field, *v);
  } else if (v->is_array() && v->size() == 2 && (*v)[0].is_number_integer() && (*v)[0] == (*v)[1]) {
    out = r.Convert<int64_t>(field, (*v)[0]);
  } else {
    r.Fail(field, "expected an integer or a square [n, n] pair, got " + io::JsonFields::Shown(*v));
  }
}

void Require(bool ok, const io::JsonFields& r, const char* field, const std::string& what) {
  if (!ok) r.Fail(field, what);
}

}  // namespace

ViTConfig ParseConfig(std::string_view text, const std::string& name) {
  const json root = io::ParseJson(text, name);
  const io::JsonFields r(root, name);
  ViTConfig c;
  r.Read("model_type", c.model_type);
  r.Read("hidden_size", c.hidden_size);
  r.Read("num_hidden_layers", c.num_hidden_layers);
  r.Read("num_attention_heads", c.num_attention_heads);
  r.Read("intermediate_size", c.intermediate_size);
  r.Read("hidden_act", c.hidden_act);
  r.Read("layer_norm_eps", c.layer_norm_eps);
  ReadSquare(r, "image_size", c.image_size);
  ReadSquare(r, "patch_size", c.patch_size);
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
        r.Fail("id2label", "key '" + key + "' is not a class index");
      }
      if (index >= c.id2label.size())
        r.Fail("id2label", "class indices must be 0.." + std::to_string(c.id2label.size() - 1) + ", got " + key);
      if (!value.is_string()) r.Fail("id2label", "label of " + key + " is not a string");
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
