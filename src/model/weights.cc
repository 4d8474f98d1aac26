#include "model/weights.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "model/family.h"
#include "model/precision_policy.h"
#include "vit/error.h"

namespace vit::model {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Walks Hugging Face keys under a prefix, converting to float32, and remembers what it used so that
// leftovers can be reported.
class Binder {
 public:
  // prefix: where the backbone lives when the checkpoint has one ("vit." in ViTForImageClassification
  // checkpoints, none in ViTModel ones).
  Binder(io::TensorSource& source, Precision precision, PackedCache* cache, const std::string& prefix)
      : source_(source), precision_(precision), cache_(cache) {
    for (const auto& t : source.tensors())
      if (t.name.starts_with(prefix)) backbone_prefix_ = prefix;
  }

  std::string Backbone(const std::string& key) const { return backbone_prefix_ + key; }

  bool Has(const std::string& key) const { return source_.Find(key) != nullptr; }

  // The tensor's record after checking its shape; counts it as used.
  const io::TensorRecord& Check(const std::string& key, const std::vector<int64_t>& shape) {
    const io::TensorRecord* t = source_.Find(key);
    if (t == nullptr)
      throw Error(source_.path().string() + ": missing tensor '" + key + "' (expected shape " + ShapeString(shape) + ")",
                  ErrorKind::kInvalidInput);
    if (t->shape != shape)
      throw Error(source_.path().string() + ": tensor '" + key + "' has shape " + ShapeString(t->shape) +
                      ", expected " + ShapeString(shape),
                  ErrorKind::kInvalidInput);
    if (used_.insert(key).second) num_parameters_ += t->numel();
    return *t;
  }

  // The tensor as float32 in `out` (its numel() elements). F32 data is read from the file rather than
  // through its mapping (TensorSource::CopyBytes), which spares the load a first touch of every mapped page.
  void ReadInto(const io::TensorRecord& t, float* out) {
    pending_release_.push_back(&t);
    io::ReadAsFloat32(source_, t, out);
  }
  void ReadInto(const std::string& key, const std::vector<int64_t>& shape, float* out) {
    ReadInto(Check(key, shape), out);
  }

  // The tensor, its shape checked, in a buffer reused from tensor to tensor: valid until the next read into it.
  const float* Read(const std::string& key, const std::vector<int64_t>& shape, core::FloatBuffer& buffer) {
    const io::TensorRecord& t = Check(key, shape);
    float* out = buffer.Reserve(static_cast<size_t>(t.numel()));
    ReadInto(t, out);
    return out;
  }

  // A linear layer from the packed cache, its source tensors checked but not read; or nullopt.
  std::optional<kernels::PackedLinear> Cached(const std::string& name, int64_t out, int64_t in) {
    if (cache_ == nullptr) return std::nullopt;
    auto found = cache_->Find(name, out, in);
    if (found) cache_->Add(name, *found);
    return found;
  }

  kernels::PackedLinear Pack(const std::string& name, const float* weight, const float* bias, int64_t out, int64_t in) {
    auto packed =
        kernels::PackedLinear::Pack(weight, bias, out, in, KernelPrecisionsFor(precision_).linear, &converted_);
    if (cache_ != nullptr) cache_->Add(name, packed);
    return packed;
  }

  // Rows of a tensor already read (SigLIP's in_proj), packed as a linear layer named `name`, via the cache.
  kernels::PackedLinear PackRows(const std::string& name, const float* weight, const float* bias, int64_t out,
                                 int64_t in) {
    const std::string rows_name = name + ".key_value";
    if (auto cached = Cached(rows_name, out, in)) return *std::move(cached);
    return Pack(rows_name, weight, bias, out, in);
  }

  // Everything read so far is packed or copied: its pages of the file need not stay resident, which keeps
  // the load's peak memory at one copy of the weights plus one tensor.
  void Release() {
    for (const io::TensorRecord* t : pending_release_) source_.ReleaseTensor(*t);
    pending_release_.clear();
  }

  Parameter ReadParameter(const std::string& key, const std::vector<int64_t>& shape) {
    const io::TensorRecord& t = Check(key, shape);
    Parameter p;
    p.size = t.numel();
    p.data = core::AllocateArray<float>(static_cast<size_t>(p.size));
    ReadInto(t, p.data.get());
    Release();
    return p;
  }

  LayerNormWeights ReadLayerNorm(const std::string& key, int64_t size) {
    return {ReadParameter(key + ".weight", {size}), ReadParameter(key + ".bias", {size})};
  }

  // nn.Linear(in, out): weight [out, in], bias [out] (optional when allowed). A weight stored with more
  // dimensions (a conv's [out, C, p, p]) is given its checkpoint shape; its elements are [out, in].
  kernels::PackedLinear ReadLinear(const std::string& key, int64_t in, int64_t out, bool bias = true,
                                   std::vector<int64_t> weight_shape = {}) {
    if (weight_shape.empty()) weight_shape = {out, in};
    Check(key + ".weight", weight_shape);
    if (bias) Check(key + ".bias", {out});
    if (auto cached = Cached(key, out, in)) return *std::move(cached);
    const float* weight = Read(key + ".weight", weight_shape, scratch_);
    const float* b = bias ? Read(key + ".bias", {out}, bias_) : nullptr;
    auto packed = Pack(key, weight, b, out, in);
    Release();
    return packed;
  }

  // query, key and value fused into one GEMM, ordered by head: head h's query, key and value rows side by
  // side (3 * head_dim outputs), then head h + 1's. A thread that computes a run of the GEMM's output columns
  // then holds whole heads, which attention, split by head the same way, reads from its own caches rather
  // than from the other core's (on cores that share no L3, a slow read).
  kernels::PackedLinear ReadFusedQkv(const std::string& key, const std::string (&names)[3], int64_t d, int64_t heads,
                                     bool bias) {
    for (const std::string& name : names) {
      Check(key + name + ".weight", {d, d});
      if (bias) Check(key + name + ".bias", {d});
    }
    // Named apart from the earlier query-key-value order, so that a packed cache never mixes the two.
    const std::string fused_name = key + names[0] + ".qkv_by_head";
    if (auto cached = Cached(fused_name, 3 * d, d)) return *std::move(cached);
    const int64_t head_dim = d / heads;
    // Reused from layer to layer: a fresh 3 d^2 buffer per layer would first-touch its pages every time.
    float* weight = scratch_.Reserve(static_cast<size_t>(3 * d * d));
    float* one = part_.Reserve(static_cast<size_t>(d * d));
    std::vector<float> b(static_cast<size_t>(3 * d), 0.0f);
    // Part i (query, key, value) of `from`, heads of `per_head` values each, to head h's slot i in `to`.
    auto scatter_heads = [&](const float* from, int i, int64_t per_head, float* to) {
      for (int64_t h = 0; h < heads; ++h) {
        std::memcpy(to + (3 * h + i) * per_head, from + h * per_head, static_cast<size_t>(per_head) * sizeof(float));
      }
    };
    for (int i = 0; i < 3; ++i) {
      ReadInto(key + names[i] + ".weight", {d, d}, one);
      scatter_heads(one, i, head_dim * d, weight);
      if (bias) {
        ReadInto(key + names[i] + ".bias", {d}, one);
        scatter_heads(one, i, head_dim, b.data());
      }
      Release();
    }
    return Pack(fused_name, weight, b.data(), 3 * d, d);
  }

  // ignorable(name): tensors that take no part in inference (another tower's, training-only ones).
  template <typename Ignorable>
  void CheckAllUsed(Ignorable ignorable) const {
    std::string unexpected;
    int count = 0;
    for (const auto& t : source_.tensors()) {
      if (used_.count(t.name) || ignorable(t.name)) continue;
      if (count++ < 5) unexpected += (unexpected.empty() ? "" : ", ") + ("'" + t.name + "' " + ShapeString(t.shape));
    }
    if (count > 0)
      throw Error(source_.path().string() + ": " + std::to_string(count) + " unexpected tensor(s) for this " +
                      "config.json: " + unexpected + (count > 5 ? ", ..." : ""),
                  ErrorKind::kInvalidInput);
  }

  int64_t num_parameters() const { return num_parameters_; }

 private:
  io::TensorSource& source_;
  Precision precision_;
  PackedCache* cache_;
  std::vector<const io::TensorRecord*> pending_release_;
  std::string backbone_prefix_;
  std::set<std::string> used_;
  core::FloatBuffer scratch_, bias_, part_, converted_;
  int64_t num_parameters_ = 0;
};

}  // namespace

namespace {

// SiglipMultiheadAttentionPoolingHead under `head` ("vision_model.head."): probe [1, 1, D],
// attention.in_proj_{weight,bias} [3D, D] / [3D] (query, key, value rows), attention.out_proj, layernorm, mlp.
AttentionPoolWeights ReadAttentionPool(Binder& b, const std::string& head, const ViTConfig& c) {
  const int64_t d = c.hidden_size;
  AttentionPoolWeights p;
  const Parameter probe = b.ReadParameter(head + "probe", {1, 1, d});
  const Parameter in_weight = b.ReadParameter(head + "attention.in_proj_weight", {3 * d, d});
  const Parameter in_bias = b.ReadParameter(head + "attention.in_proj_bias", {3 * d});
  // The query of the one probe token, in double and rounded once.
  p.query.size = d;
  p.query.data = core::AllocateArray<float>(static_cast<size_t>(d));
  for (int64_t o = 0; o < d; ++o) {
    double acc = in_bias.get()[o];
    for (int64_t k = 0; k < d; ++k) acc += static_cast<double>(in_weight.get()[o * d + k]) * probe.get()[k];
    p.query.data.get()[o] = static_cast<float>(acc);
  }
  p.key_value = b.PackRows(head + "attention.in_proj", in_weight.get() + d * d, in_bias.get() + d, 2 * d, d);
  p.out_proj = b.ReadLinear(head + "attention.out_proj", d, d);
  p.layernorm = b.ReadLayerNorm(head + "layernorm", d);
  p.fc1 = b.ReadLinear(head + "mlp.fc1", d, c.intermediate_size);
  p.fc2 = b.ReadLinear(head + "mlp.fc2", c.intermediate_size, d);
  return p;
}

// A family's checkpoint names, relative to its backbone prefix.
struct Names {
  std::string prefix;                          // the backbone's, when the checkpoint has one
  std::string patch = "embeddings.patch_embeddings.projection";
  bool patch_bias = true;
  std::vector<std::string> leading = {"embeddings.cls_token"};  // each [1, 1, D]
  bool leading_flat = false;                   // CLIP's class_embedding is [D]
  std::string registers;                       // [1, R, D]
  std::string positions = "embeddings.position_embeddings";  // [1, T, D]
  bool positions_are_embedding = false;        // nn.Embedding: "<positions>.weight" [T, D]
  std::string layer = "encoder.layer.";
  std::string norm1 = "layernorm_before", attention = "attention.attention";
  std::string qkv[3] = {".query", ".key", ".value"};
  std::string out = "attention.output.dense", norm2 = "layernorm_after";
  std::string fc1 = "intermediate.dense", fc2 = "output.dense";
  std::string scale1, scale2;                  // DINOv2 layer scales
  std::string pre_norm, final_norm = "layernorm", pooled_norm;
};

Names NamesOf(const ViTConfig& c) {
  Names n;
  const std::string& t = c.model_type;
  if (t == "vit") {
    n.prefix = "vit.";
  } else if (t == "deit") {
    n.prefix = "deit.";
    n.leading.push_back("embeddings.distillation_token");
  } else if (t == "dinov2" || t == "dinov2_with_registers") {
    // Dinov2ForImageClassification's self.dinov2, Dinov2WithRegistersForImageClassification's
    // self.dinov2_with_registers.
    n.prefix = t == "dinov2_with_registers" ? "dinov2_with_registers." : "dinov2.";
    if (t == "dinov2_with_registers") n.registers = "embeddings.register_tokens";
    n.norm1 = "norm1";
    n.norm2 = "norm2";
    n.fc1 = c.use_swiglu_ffn ? "mlp.weights_in" : "mlp.fc1";  // Dinov2SwiGLUFFN or Dinov2MLP
    n.fc2 = c.use_swiglu_ffn ? "mlp.weights_out" : "mlp.fc2";
    n.scale1 = "layer_scale1.lambda1";
    n.scale2 = "layer_scale2.lambda1";
  } else {  // clip, siglip: CLIPVisionTransformer / SiglipVisionTransformer under vision_model.
    const bool clip = t == "clip" || t == "clip_vision_model";
    n.prefix = "vision_model.";
    n.patch = "embeddings.patch_embedding";
    n.patch_bias = !clip;
    n.leading = clip ? std::vector<std::string>{"embeddings.class_embedding"} : std::vector<std::string>{};
    n.leading_flat = true;
    n.positions = "embeddings.position_embedding";
    n.positions_are_embedding = true;
    n.layer = "encoder.layers.";
    n.norm1 = "layer_norm1";
    n.attention = "self_attn";
    n.qkv[0] = ".q_proj";
    n.qkv[1] = ".k_proj";
    n.qkv[2] = ".v_proj";
    n.out = "self_attn.out_proj";
    n.norm2 = "layer_norm2";
    n.fc1 = "mlp.fc1";
    n.fc2 = "mlp.fc2";
    if (clip) {
      n.pre_norm = "pre_layrnorm";  // sic: transformers' name
      n.final_norm = "";
      n.pooled_norm = "post_layernorm";
    } else {
      n.final_norm = "post_layernorm";
    }
  }
  return n;
}

// Tensors of a checkpoint that take no part in the vision tower's inference: masked-image-modeling's
// mask_token, position_ids buffers, and a full CLIPModel's or SiglipModel's text tower.
bool Ignorable(const std::string& name) {
  return name.ends_with("embeddings.mask_token") || name.ends_with("embeddings.position_ids") ||
         name.starts_with("text_model.") || name.starts_with("text_projection.") || name == "logit_scale" ||
         name == "logit_bias";
}

}  // namespace

ViTWeights BindWeights(io::TensorSource& source, const ViTConfig& c, Precision precision,
                       PackedCache* cache) {
  const Family family = FamilyOf(c);
  const Names n = NamesOf(c);
  Binder b(source, precision, cache, n.prefix);
  const int64_t d = c.hidden_size;
  const int64_t patch_inputs = c.num_channels * c.patch_size * c.patch_size;
  ViTWeights w;
  w.precision = precision;

  // Embeddings: the conv's [D, C, p, p] weight is exactly a [D, C*p*p] linear over flattened patches.
  w.patch_projection = b.ReadLinear(b.Backbone(n.patch), patch_inputs, d, n.patch_bias,
                                    {d, c.num_channels, c.patch_size, c.patch_size});
  const int64_t leading = static_cast<int64_t>(n.leading.size());
  if (leading > 0) {
    w.leading_tokens.size = leading * d;
    w.leading_tokens.data = core::AllocateArray<float>(static_cast<size_t>(leading * d));
    for (int64_t i = 0; i < leading; ++i) {
      const std::vector<int64_t> shape = n.leading_flat ? std::vector<int64_t>{d} : std::vector<int64_t>{1, 1, d};
      const Parameter token = b.ReadParameter(b.Backbone(n.leading[static_cast<size_t>(i)]), shape);
      std::copy(token.get(), token.get() + d, w.leading_tokens.data.get() + i * d);
    }
  }
  if (family.register_tokens > 0)
    w.register_tokens = b.ReadParameter(b.Backbone(n.registers), {1, family.register_tokens, d});
  const int64_t positions = leading + c.num_patches();
  w.position_embeddings = n.positions_are_embedding
                              ? b.ReadParameter(b.Backbone(n.positions + ".weight"), {positions, d})
                              : b.ReadParameter(b.Backbone(n.positions), {1, positions, d});
  if (!n.pre_norm.empty()) w.pre_layernorm = b.ReadLayerNorm(b.Backbone(n.pre_norm), d);

  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string L = b.Backbone(n.layer + std::to_string(i) + ".");
    LayerWeights layer;
    layer.layernorm_before = b.ReadLayerNorm(L + n.norm1, d);
    layer.qkv = b.ReadFusedQkv(L + n.attention, n.qkv, d, c.num_attention_heads, c.qkv_bias);
    layer.attention_output = b.ReadLinear(L + n.out, d, d);
    layer.layernorm_after = b.ReadLayerNorm(L + n.norm2, d);
    // SwiGLU's weights_in yields both halves of the gated product: [2 * intermediate_size, D].
    layer.intermediate = b.ReadLinear(L + n.fc1, d, (family.swiglu ? 2 : 1) * c.intermediate_size);
    layer.output = b.ReadLinear(L + n.fc2, c.intermediate_size, d);
    if (family.layer_scale) {
      layer.layer_scale1 = b.ReadParameter(L + n.scale1, {d});
      layer.layer_scale2 = b.ReadParameter(L + n.scale2, {d});
    }
    w.layers.push_back(std::move(layer));
  }
  if (!n.final_norm.empty()) w.layernorm = b.ReadLayerNorm(b.Backbone(n.final_norm), d);
  if (!n.pooled_norm.empty()) w.post_layernorm = b.ReadLayerNorm(b.Backbone(n.pooled_norm), d);

  if (family.pooler == PoolerKind::kDense && b.Has(b.Backbone("pooler.dense.weight")))
    w.pooler = b.ReadLinear(b.Backbone("pooler.dense"), d, c.pooler_output_size);
  if (family.pooler == PoolerKind::kAttentionHead) w.attention_pool = ReadAttentionPool(b, b.Backbone("head."), c);
  // CLIPVisionModelWithProjection and CLIPModel: visual_projection (no bias) at the root.
  if (b.Has("visual_projection.weight")) {
    const int64_t width = c.projection_dim > 0 ? c.projection_dim : source.Find("visual_projection.weight")->shape[0];
    w.visual_projection = b.ReadLinear("visual_projection", d, width, false);
  }

  // Heads: ViTForImageClassification's and DeiTForImageClassification's classifier on [CLS];
  // DeiTForImageClassificationWithTeacher's cls_classifier and distillation_classifier;
  // Dinov2ForImageClassification's on [CLS] and the patch tokens' mean side by side (hidden_size * 2 inputs).
  const int64_t classifier_inputs = family.classifier_input == ClassifierInput::kFirstTokenAndPatchMean ? 2 * d : d;
  auto read_classifier = [&](const std::string& name) {
    const int64_t labels = c.id2label.empty() ? -1 : static_cast<int64_t>(c.id2label.size());
    const auto* t = source.Find(name + ".weight");
    const int64_t rows = t->shape.empty() ? 0 : t->shape[0];
    if (labels >= 0 && rows != labels)
      throw Error(source.path().string() + ": tensor '" + name + ".weight' has " + std::to_string(rows) +
                      " rows but config.json's id2label names " + std::to_string(labels) + " labels",
                  ErrorKind::kInvalidInput);
    return b.ReadLinear(name, name == "distillation_classifier" ? d : classifier_inputs, rows);
  };
  if (b.Has("classifier.weight")) w.classifier = read_classifier("classifier");
  if (c.model_type == "deit" && b.Has("cls_classifier.weight")) {
    w.classifier = read_classifier("cls_classifier");
    w.distillation_classifier = read_classifier("distillation_classifier");
  }
  b.CheckAllUsed(Ignorable);
  w.num_parameters = b.num_parameters();
  return w;
}

}  // namespace vit::model
