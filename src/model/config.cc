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


// The defaults of the config class of each model_type, which config.json's fields then override: a hub
// config.json omits fields equal to them.
ViTConfig DefaultsFor(const std::string& model_type) {
  ViTConfig c;  // ViTConfig's and DeiTConfig's
  c.model_type = model_type;
  if (model_type == "dinov2" || model_type == "dinov2_with_registers") {  // Dinov2Config
    c.patch_size = 14;
    c.layer_norm_eps = 1e-6;
    if (model_type == "dinov2_with_registers") c.num_register_tokens = 4;
  } else if (model_type == "clip" || model_type == "clip_vision_model") {  // CLIPVisionConfig
    c.patch_size = 32;
    c.hidden_act = "quick_gelu";
    c.layer_norm_eps = 1e-5;
    c.projection_dim = 512;
  } else if (model_type == "siglip" || model_type == "siglip_vision_model") {  // SiglipVisionConfig
    c.hidden_act = "gelu_pytorch_tanh";
    c.layer_norm_eps = 1e-6;
  }
  return c;
}

bool IsDinov2(const std::string& model_type) {
  return model_type == "dinov2" || model_type == "dinov2_with_registers";
}

}  // namespace

const std::vector<std::string>& SupportedModelTypes() {
  static const std::vector<std::string> types = {"vit",  "deit",   "dinov2",          "dinov2_with_registers",
                                                 "clip", "clip_vision_model", "siglip", "siglip_vision_model"};
  return types;
}

ViTConfig ParseConfig(std::string_view text, const std::string& name) {
  const json root = io::ParseJson(text, name);
  const io::JsonFields top(root, name);
  std::string model_type = "vit";
  top.Read("model_type", model_type);
  std::string known;
  for (const auto& t : SupportedModelTypes()) known += (known.empty() ? "\"" : ", \"") + t + "\"";
  bool supported = false;
  for (const auto& t : SupportedModelTypes()) supported |= t == model_type;
  Require(supported, top, "model_type", "expected one of " + known + ", got \"" + model_type + "\"");
  ViTConfig c = DefaultsFor(model_type);

  // CLIPModel and SiglipModel configs hold the vision tower's fields in "vision_config"; the projection's
  // width is CLIPConfig's own.
  const bool full_model = model_type == "clip" || model_type == "siglip";
  if (model_type == "clip") top.Read("projection_dim", c.projection_dim);
  const json empty = json::object();
  const json* vision = full_model ? top.Find("vision_config") : &root;
  if (vision == nullptr || vision->is_null()) vision = &empty;
  const io::JsonFields r(*vision, full_model ? name + ": vision_config" : name);
  const bool dinov2 = IsDinov2(model_type);

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
  if (model_type == "clip_vision_model") r.Read("projection_dim", c.projection_dim);
  if (full_model || model_type == "siglip_vision_model") r.Read("vision_use_head", c.vision_use_head);
  if (dinov2) {
    r.Read("layerscale_value", c.layerscale_value);
    r.Read("mlp_ratio", c.mlp_ratio);
    r.Read("use_swiglu_ffn", c.use_swiglu_ffn);
    r.Read("num_register_tokens", c.num_register_tokens);
    Require(c.mlp_ratio > 0 && c.mlp_ratio <= 64, r, "mlp_ratio", "must be in (0, 64]");
    Require(c.num_register_tokens >= 0 && c.num_register_tokens <= 1024, r, "num_register_tokens",
            "must be in 0..1024");
    // Dinov2MLP: int(hidden_size * mlp_ratio); Dinov2SwiGLUFFN rounds two thirds of it up to a multiple of 8.
    const auto hidden = static_cast<int64_t>(static_cast<double>(c.hidden_size) * c.mlp_ratio);
    c.intermediate_size = c.use_swiglu_ffn ? (static_cast<int64_t>(static_cast<double>(hidden) * 2 / 3) + 7) / 8 * 8
                                           : hidden;
  }
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
        top.Fail("id2label", "key '" + key + "' is not a class index");
      }
      if (index >= c.id2label.size())
        top.Fail("id2label", "class indices must be 0.." + std::to_string(c.id2label.size() - 1) + ", got " + key);
      if (!value.is_string()) top.Fail("id2label", "label of " + key + " is not a string");
      c.id2label[index] = value.get<std::string>();
    }
  }

  Require(c.hidden_size > 0 && c.hidden_size <= 65536, r, "hidden_size", "must be in 1..65536");
  Require(c.num_hidden_layers >= 0 && c.num_hidden_layers <= 1024, r, "num_hidden_layers", "must be in 0..1024");
  Require(c.num_attention_heads > 0, r, "num_attention_heads", "must be positive");
  Require(c.hidden_size % c.num_attention_heads == 0, r, "num_attention_heads",
          "hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of " +
              std::to_string(c.num_attention_heads));
  Require(c.intermediate_size > 0 && c.intermediate_size <= 1 << 20, r, "intermediate_size", "must be in 1..2^20");
  Require(c.hidden_act == "gelu" || c.hidden_act == "quick_gelu" || c.hidden_act == "gelu_pytorch_tanh", r,
          "hidden_act",
          "expected \"gelu\" (exact erf GELU), \"quick_gelu\" or \"gelu_pytorch_tanh\", got \"" + c.hidden_act +
              "\"");
  Require(c.projection_dim >= 0 && c.projection_dim <= 65536, r, "projection_dim", "must be in 0..65536");
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
