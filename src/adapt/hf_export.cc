// ExportImageClassifier: a probe head and its backbone as one Hugging Face
// ViTForImageClassification folder (DeiTForImageClassification for a DeiT backbone). transformers'
// ViTForImageClassification builds ViTModel(add_pooling_layer=False) under "vit." and reads
// classifier(sequence_output[:, 0, :]), the final-LayerNorm [CLS] token: exactly the kCls features the head
// was trained on; DeiTForImageClassification does the same under "deit.". The other families' classifiers
// read something else (Dinov2ForImageClassification: [CLS] and the patch tokens' mean side by side), so
// their heads stay `vit classify --head` heads.
#include <fstream>
#include <string>

#include "io/json.h"
#include "io/safetensors.h"
#include "io/tensor_source.h"
#include "vit/error.h"
#include "vit/probe.h"

namespace vit {
namespace fs = std::filesystem;
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw Error(path.string() + ": cannot write", ErrorKind::kIo);
}

io::Json DefaultProcessorConfig(int64_t image_size) {
  // ViTImageProcessor's defaults at the model's resolution.
  io::Json p = io::Json::object();
  p["do_normalize"] = true;
  p["do_rescale"] = true;
  p["do_resize"] = true;
  p["image_mean"] = {0.5, 0.5, 0.5};
  p["image_processor_type"] = "ViTImageProcessor";
  p["image_std"] = {0.5, 0.5, 0.5};
  p["resample"] = 2;
  p["rescale_factor"] = 1.0 / 255.0;
  p["size"] = {{"height", image_size}, {"width", image_size}};
  return p;
}

}  // namespace

void ExportImageClassifier(const LinearHead& head, const fs::path& model_dir, const fs::path& out_dir) {
  if (head.features != Pooling::kCls)
    throw Error(std::string("export: the head was trained on ") + PoolingName(head.features) +
                    " features; ViTForImageClassification's classifier reads the [CLS] token, so only a head "
                    "trained with --pooling cls exports",
                ErrorKind::kInvalidArgument);
  if (static_cast<int64_t>(head.id2label.size()) != head.num_labels())
    throw Error("export: the head has " + std::to_string(head.id2label.size()) + " labels for " +
                    std::to_string(head.num_labels()) + " classifier rows",
                ErrorKind::kInvalidInput);

  const fs::path config_path = model_dir / "config.json";
  io::Json config = io::ReadJsonFile(config_path);
  if (!config.is_object()) throw Error(config_path.string() + ": expected a JSON object", ErrorKind::kInvalidInput);
  const std::string model_type =
      config.contains("model_type") && config["model_type"].is_string() ? config["model_type"].get<std::string>() : "vit";
  if (model_type != "vit" && model_type != "deit")
    throw Error("export: " + config_path.string() + " is a \"" + model_type +
                    "\" checkpoint; only ViT and DeiT classifiers read the [CLS] token a cls head was trained on, so "
                    "use this head with `vit classify --head`",
                ErrorKind::kInvalidArgument);
  const std::string prefix = model_type + ".";
  const std::string architecture = model_type == "deit" ? "DeiTForImageClassification" : "ViTForImageClassification";
  const int64_t hidden = config.contains("hidden_size") && config["hidden_size"].is_number_integer()
                             ? config["hidden_size"].get<int64_t>()
                             : 768;  // ViTConfig's default
  if (hidden != head.hidden_size())
    throw Error("export: the head takes " + std::to_string(head.hidden_size()) + "-wide features but " +
                    config_path.string() + " has hidden_size " + std::to_string(hidden),
                ErrorKind::kInvalidArgument);

  const auto source = io::OpenCheckpoint(model_dir);
  std::vector<io::TensorRecord> records;
  for (const io::TensorRecord& t : source->tensors()) {
    const std::string bare = StartsWith(t.name, prefix) ? t.name.substr(prefix.size()) : t.name;
    // ViTForImageClassification has no pooler, and a previous classifier (DeiT's with teacher: both) is
    // replaced by the probe.
    if (StartsWith(bare, "pooler.") || StartsWith(t.name, "classifier.") || StartsWith(t.name, "cls_classifier.") ||
        StartsWith(t.name, "distillation_classifier."))
      continue;
    io::TensorRecord r = t;
    r.name = prefix + bare;
    records.push_back(std::move(r));
  }
  for (const char* required : {"embeddings.cls_token", "embeddings.patch_embeddings.projection.weight",
                               "layernorm.weight"}) {
    bool found = false;
    for (const auto& r : records) found = found || r.name == prefix + required;
    if (!found)
      throw Error("export: " + source->path().string() + " has no " + required + "; is it a " +
                      (model_type == "deit" ? "DeiT" : "ViT") + " checkpoint?",
                  ErrorKind::kInvalidInput);
  }
  records.push_back(io::F32Record("classifier.weight", head.weight));
  records.push_back(io::F32Record("classifier.bias", head.bias));

  io::Json id2label = io::Json::object(), label2id = io::Json::object();
  for (size_t i = 0; i < head.id2label.size(); ++i) {
    id2label[std::to_string(i)] = head.id2label[i];
    label2id[head.id2label[i]] = i;
  }
  config["architectures"] = {architecture};
  config["id2label"] = id2label;
  config["label2id"] = label2id;
  config.erase("num_labels");  // derived from id2label; a stale value would contradict it

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error(out_dir.string() + ": cannot create the folder: " + ec.message(), ErrorKind::kIo);
  io::WriteSafetensors(out_dir / "model.safetensors", records, {{"format", "pt"}});
  WriteText(out_dir / "config.json", config.dump(2) + "\n");
  const fs::path processor = model_dir / "preprocessor_config.json";
  if (fs::is_regular_file(processor, ec)) {
    WriteText(out_dir / "preprocessor_config.json", io::ReadJsonFile(processor).dump(2) + "\n");
  } else {
    const int64_t size = config.contains("image_size") && config["image_size"].is_number_integer()
                             ? config["image_size"].get<int64_t>()
                             : 224;
    WriteText(out_dir / "preprocessor_config.json", DefaultProcessorConfig(size).dump(2) + "\n");
  }
}

}  // namespace vit
