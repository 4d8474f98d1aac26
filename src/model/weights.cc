#include "model/weights.h"

#include <cstring>
#include <set>

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
  Binder(io::TensorSource& source, Precision precision, PackedCache* cache)
      : source_(source), precision_(precision), cache_(cache) {
    for (const auto& t : source.tensors())
      if (t.name.starts_with("vit.")) backbone_prefix_ = "vit.";
  }

  // The backbone lives under "vit." in ViTForImageClassification checkpoints, at the root in ViTModel ones.
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
  kernels::PackedLinear ReadFusedQkv(const std::string& key, int64_t d, int64_t heads, bool bias) {
    const char* names[] = {".query", ".key", ".value"};
    for (const char* name : names) {
      Check(key + name + ".weight", {d, d});
      if (bias) Check(key + name + ".bias", {d});
    }
    // Named apart from the earlier query-key-value order, so that a packed cache never mixes the two.
    const std::string fused_name = key + ".qkv_by_head";
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

  void CheckAllUsed(const std::set<std::string>& ignorable) const {
    std::string unexpected;
    int count = 0;
    for (const auto& t : source_.tensors()) {
      if (used_.count(t.name) || ignorable.count(t.name)) continue;
      if (count++ < 5) unexpected += (unexpected.empty() ? "" : ", ") + ("'" + t.name + "' " + ShapeString(t.shape));
    }
    if (count > 0)
      throw Error(source_.path().string() + ": " + std::to_string(count) + " unexpected tensor(s) for a ViT with this " +
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

ViTWeights BindWeights(io::TensorSource& source, const ViTConfig& c, Precision precision,
                       PackedCache* cache) {
  Binder b(source, precision, cache);
  const int64_t d = c.hidden_size;
  const int64_t patch_inputs = c.num_channels * c.patch_size * c.patch_size;
  ViTWeights w;
  w.precision = precision;

  // ViTEmbeddings: the conv's [D, C, p, p] weight is exactly a [D, C*p*p] linear over flattened patches.
  w.patch_projection = b.ReadLinear(b.Backbone("embeddings.patch_embeddings.projection"), patch_inputs, d, true,
                                    {d, c.num_channels, c.patch_size, c.patch_size});
  w.cls_token = b.ReadParameter(b.Backbone("embeddings.cls_token"), {1, 1, d});
  w.position_embeddings = b.ReadParameter(b.Backbone("embeddings.position_embeddings"), {1, c.num_patches() + 1, d});

  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string L = b.Backbone("encoder.layer." + std::to_string(i) + ".");
    LayerWeights layer;
    layer.layernorm_before = b.ReadLayerNorm(L + "layernorm_before", d);
    layer.qkv = b.ReadFusedQkv(L + "attention.attention", d, c.num_attention_heads, c.qkv_bias);
    layer.attention_output = b.ReadLinear(L + "attention.output.dense", d, d);
    layer.layernorm_after = b.ReadLayerNorm(L + "layernorm_after", d);
    layer.intermediate = b.ReadLinear(L + "intermediate.dense", d, c.intermediate_size);
    layer.output = b.ReadLinear(L + "output.dense", c.intermediate_size, d);
    w.layers.push_back(std::move(layer));
  }
  w.layernorm = b.ReadLayerNorm(b.Backbone("layernorm"), d);

  if (b.Has(b.Backbone("pooler.dense.weight")))
    w.pooler = b.ReadLinear(b.Backbone("pooler.dense"), d, c.pooler_output_size);
  if (b.Has("classifier.weight")) {
    const int64_t labels = c.id2label.empty() ? -1 : static_cast<int64_t>(c.id2label.size());
    const auto* t = source.Find("classifier.weight");
    const int64_t rows = t->shape.empty() ? 0 : t->shape[0];
    if (labels >= 0 && rows != labels)
      throw Error(source.path().string() + ": tensor 'classifier.weight' has " + std::to_string(rows) +
                      " rows but config.json's id2label names " + std::to_string(labels) + " labels",
                  ErrorKind::kInvalidInput);
    w.classifier = b.ReadLinear("classifier", d, rows);
  }
  // mask_token belongs to masked-image-modeling pre-training and takes no part in inference.
  b.CheckAllUsed({b.Backbone("embeddings.mask_token")});
  w.num_parameters = b.num_parameters();
  return w;
}

}  // namespace vit::model
