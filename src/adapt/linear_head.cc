// LinearHead: the probe's classifier, stored as ViTForImageClassification names it
// (head.safetensors: classifier.weight, classifier.bias) with what it needs to be used again
// (head_config.json: model, features, id2label, label2id).
#include <cblas.h>

#include "adapt/blas_threads.h"

#include <cstring>
#include <set>
#include <string>

#include "io/file_set.h"
#include "io/json.h"
#include "io/json_fields.h"
#include "io/safetensors.h"
#include "io/tensor_source.h"
#include "vit/error.h"
#include "vit/probe.h"

namespace vit {
namespace {

constexpr const char* kWeightsFile = "head.safetensors";
constexpr const char* kConfigFile = "head_config.json";

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor ReadTensor(const io::TensorSource& source, const std::string& name, const std::vector<int64_t>& shape) {
  const io::TensorRecord* r = source.Find(name);
  if (!r) throw Error(source.path().string() + ": tensor " + name + " is missing", ErrorKind::kInvalidInput);
  if (r->shape != shape)
    throw Error(source.path().string() + ": tensor " + name + " has shape " + ShapeText(r->shape) + ", expected " +
                    ShapeText(shape),
                ErrorKind::kInvalidInput);
  Tensor t(shape);
  io::CopyAsFloat32(*r, t.data());
  return t;
}

}  // namespace

Tensor LinearHead::Logits(const Tensor& features) const {
  if (weight.rank() != 2 || bias.rank() != 1 || bias.dim(0) != weight.dim(0))
    throw Error("linear head: classifier.weight/bias are not [K, D] and [K]", ErrorKind::kInternal);
  if (features.rank() != 2 || features.dim(1) != hidden_size())
    throw Error("linear head: it takes " + std::to_string(hidden_size()) + "-wide " + PoolingName(this->features) +
                    " features, the model gives " + features.ShapeString() +
                    " (was the head trained on another model?)",
                ErrorKind::kInvalidArgument);
  const int64_t n = features.dim(0), k = num_labels(), d = hidden_size();
  Tensor out({n, k});
  for (int64_t i = 0; i < n; ++i) std::memcpy(out.data() + i * k, bias.data(), static_cast<size_t>(k) * sizeof(float));
  adapt::KeepBlasOnCallingThread();
  if (n > 0)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(k), static_cast<int>(d),
                1.0f, features.data(), static_cast<int>(d), weight.data(), static_cast<int>(d), 1.0f, out.data(),
                static_cast<int>(k));
  return out;
}

void LinearHead::Save(const std::filesystem::path& dir) const {
  if (static_cast<int64_t>(id2label.size()) != num_labels())
    throw Error("linear head: " + std::to_string(id2label.size()) + " labels for " + std::to_string(num_labels()) +
                    " classifier rows",
                ErrorKind::kInternal);
  io::Json config = io::Json::object();
  config["model"] = model;
  config["features"] = PoolingName(features);
  config["hidden_size"] = hidden_size();
  config["num_labels"] = num_labels();
  config["C"] = C;
  io::Json id2 = io::Json::object(), label2 = io::Json::object();
  for (size_t i = 0; i < id2label.size(); ++i) {
    id2[std::to_string(i)] = id2label[i];
    label2[id2label[i]] = i;
  }
  config["id2label"] = id2;
  config["label2id"] = label2;
  // Weights and labels replaced together: a head of one run's weights with another's labels would
  // answer wrong labels with high confidence.
  io::FileSet set(dir);
  set.Write(kWeightsFile, io::EncodeSafetensors({io::F32Record("classifier.weight", weight),
                                                 io::F32Record("classifier.bias", bias)},
                                                {{"format", "pt"}}));
  set.Write(kConfigFile, config.dump(2) + "\n");
  set.Commit();
}

LinearHead LinearHead::Load(const std::filesystem::path& dir) {
  const std::filesystem::path config_path = dir / kConfigFile;
  if (!std::filesystem::exists(config_path))
    throw Error(config_path.string() + ": no such file (is " + dir.string() + " a folder made by `vit probe train`?)",
                ErrorKind::kNotFound);
  const io::Json config = io::ReadJsonFile(config_path);
  const io::JsonFields r(config, config_path.string());
  LinearHead head;
  head.model = r.Get<std::string>("model");
  head.features = ParsePooling(r.Get<std::string>("features"));
  head.C = r.Get<double>("C");
  const auto hidden = r.Get<int64_t>("hidden_size");
  const auto labels = r.Get<int64_t>("num_labels");
  if (hidden < 1 || hidden > (1 << 20)) r.Fail("hidden_size", "must be in 1..2^20, got " + std::to_string(hidden));
  if (labels < 2 || labels > (1 << 20)) r.Fail("num_labels", "must be in 2..2^20, got " + std::to_string(labels));
  const io::Json& id2 = r.Require("id2label");
  if (!id2.is_object() || static_cast<int64_t>(id2.size()) != labels)
    r.Fail("id2label", "must be an object with num_labels entries");
  std::set<std::string> seen;
  for (int64_t i = 0; i < labels; ++i) {
    const std::string key = std::to_string(i);
    if (!id2.contains(key)) r.Fail("id2label", "has no entry \"" + key + "\"");
    head.id2label.push_back(r.Convert<std::string>("id2label", id2[key]));
    if (!seen.insert(head.id2label.back()).second)
      r.Fail("id2label", "repeats the label \"" + head.id2label.back() + "\"");
  }
  const auto source = io::OpenSafetensors(dir / kWeightsFile);
  head.weight = ReadTensor(*source, "classifier.weight", {labels, hidden});
  head.bias = ReadTensor(*source, "classifier.bias", {labels});
  return head;
}

}  // namespace vit
