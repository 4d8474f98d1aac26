// Linear probes: a softmax classifier trained on a frozen ViT's features. With the [CLS] features it
// is exactly the `classifier` of a ViTForImageClassification, so a probe exports to a Hugging Face
// folder that transformers loads. Also here: torchvision's ImageFolder layout, feature extraction
// with an on-disk cache, evaluation reports and top-k labels.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "vit/extract.h"
#include "vit/model.h"
#include "vit/pooling.h"
#include "vit/tensor.h"

namespace vit {

// torchvision.datasets.ImageFolder: root/<class>/**/<file>, one sub-folder per class, classes sorted
// by name (byte order, as Python sorts), files with torchvision's IMG_EXTENSIONS (case-insensitive),
// sorted within each class.
struct ImageFolder {
  std::vector<std::string> classes;
  std::vector<std::filesystem::path> files;
  std::vector<int> labels;  // index into classes, one per file
};
// Throws vit::Error naming the folder when it is missing, has no class folder, or a class folder
// has no image.
ImageFolder ScanImageFolder(const std::filesystem::path& root);
// A validation folder read with the training classes: its classes must be among them (kInvalidInput
// otherwise); classes absent from it are allowed.
ImageFolder ScanImageFolder(const std::filesystem::path& root, const std::vector<std::string>& classes);
// Files named as they are (whatever their extension); folders walked recursively for image files
// (IMG_EXTENSIONS), each folder's files sorted. Missing paths are a kNotFound error.
std::vector<std::filesystem::path> ListImageFiles(std::span<const std::string> inputs);

// Stratified, seeded split into (train, validation) indices; every class with >= 2 files keeps at
// least one in train and, for fraction > 0, one in validation.
void SplitStratified(std::span<const int> labels, double validation_fraction, uint64_t seed,
                     std::vector<size_t>& train, std::vector<size_t>& validation);

struct FeatureExtractionOptions {
  // Probes default to cls, not DefaultPooling(): ViTForImageClassification's classifier reads [CLS], so only
  // a cls head exports (ExportImageClassifier).
  Pooling pooling = Pooling::kCls;
  int batch_size = kDefaultBatchSize;
  // Features are cached here keyed by the model, the file's absolute path, size and mtime, so that
  // a second or an interrupted run does not recompute them. Empty: no cache.
  std::filesystem::path cache_dir;
  bool skip_invalid = false;  // unreadable images go to `skipped` instead of failing the call
  bool exif_transpose = false;
  // After every batch the model has run (and once at the start, with the cache's hits counted as done).
  std::function<void(const ExtractProgress&)> progress;
  std::function<bool()> cancelled;  // checked between batches; true stops with ExtractedFeatures::cancelled
};

struct SkippedFile {
  std::filesystem::path file;
  std::string reason;
};

struct ExtractedFeatures {
  Tensor features;            // [kept.size(), D]
  std::vector<size_t> kept;   // index into the input list of each row
  std::vector<SkippedFile> skipped;
  size_t from_cache = 0;      // rows read from the cache rather than computed
  bool cancelled = false;     // options.cancelled said stop: the rows so far, the rest not processed
};

ExtractedFeatures ExtractFeatures(Model& model, std::span<const std::filesystem::path> files,
                                  const FeatureExtractionOptions& options = {});
// $VIT_CACHE/features, else $XDG_CACHE_HOME/vit/features, else ~/.cache/vit/features.
std::filesystem::path DefaultFeatureCacheDir();

// A trained probe: logits = features · weight^T + bias, named as ViTForImageClassification names it.
struct LinearHead {
  std::string model;                     // the model it was trained on (--model as given)
  Pooling features = Pooling::kCls;      // what it reads (head_config.json "features")
  std::vector<std::string> id2label;
  Tensor weight;                         // classifier.weight [num_labels, hidden_size]
  Tensor bias;                           // classifier.bias [num_labels]
  double C = 1.0;                        // inverse L2 strength it was trained with

  int64_t num_labels() const { return weight.empty() ? 0 : weight.dim(0); }
  int64_t hidden_size() const { return weight.empty() ? 0 : weight.dim(1); }
  // [B, num_labels] for features [B, hidden_size]; throws kInvalidArgument on a width mismatch.
  Tensor Logits(const Tensor& features) const;
  // dir/head.safetensors (classifier.weight, classifier.bias) and dir/head_config.json.
  void Save(const std::filesystem::path& dir) const;
  static LinearHead Load(const std::filesystem::path& dir);
};

struct ProbeTrainingOptions {
  // Inverse L2 strengths tried by cross-validation; empty: 10 values log-spaced over [1e-4, 1e4],
  // LogisticRegressionCV's default. One value: no cross-validation.
  std::vector<double> Cs;
  int cv_folds = 5;               // stratified; fewer when a class has fewer training images
  uint64_t seed = 0;
  bool standardize = true;        // solve on standardised features, fold the scaling into the head
  int max_iterations = 1000;
  double tolerance = 1e-6;        // max |gradient| of the mean loss at the final fit
  double cv_tolerance = 1e-4;     // looser while only accuracies are compared
};

struct ProbeTrainingResult {
  LinearHead head;
  std::vector<double> Cs;
  std::vector<double> cv_accuracy;  // mean held-out accuracy for each C (empty without CV)
  int cv_folds = 0;
  int iterations = 0;               // of the final fit
  bool converged = false;
  double cv_seconds = 0.0;
  double fit_seconds = 0.0;
};

// features [N, D]; labels in [0, id2label.size()); at least two classes present.
ProbeTrainingResult TrainLinearProbe(const Tensor& features, std::span<const int> labels,
                                     std::vector<std::string> id2label, const ProbeTrainingOptions& options = {});

struct ClassificationReport {
  std::vector<std::string> labels;
  std::vector<std::vector<int64_t>> confusion;  // [true label][predicted label]
  int64_t total = 0;
  double accuracy = 0.0;
  std::vector<double> precision;  // per label; 0 when nothing was predicted as it
  std::vector<double> recall;     // per label; 0 when it has no example
  std::vector<int64_t> support;   // examples per true label
  std::string ToText() const;     // accuracy, per-label precision/recall/support, confusion matrix
};
// Argmax of logits [N, K] against labels.
ClassificationReport EvaluateClassifier(const Tensor& logits, std::span<const int> labels,
                                        const std::vector<std::string>& id2label);
// A picture of the confusion matrix: a title (examples, accuracy), class names on both axes, cells
// shaded by their share of the row with their counts written in them; every class up to 100, beyond
// that the 40 classes most involved in confusions. Text is set in DejaVu Sans (Debian's
// fonts-dejavu-core, or $VIT_FONT); without a font the cells are still drawn.
void WriteConfusionMatrixPng(const ClassificationReport& report, const std::filesystem::path& path);

struct LabelScore {
  int64_t id = 0;
  std::string label;
  float score = 0.0f;  // softmax probability
};
// Softmax over each row of logits [B, K], the k most probable labels, best first. Labels beyond
// id2label are named LABEL_<i> as transformers does.
std::vector<std::vector<LabelScore>> TopLabels(const Tensor& logits, const std::vector<std::string>& id2label, int k);

// Writes a complete Hugging Face ViTForImageClassification folder into out_dir (DeiTForImageClassification
// for a DeiT backbone): config.json (the backbone's, with architectures, id2label, label2id),
// preprocessor_config.json, and model.safetensors with the backbone under "vit." / "deit." (no pooler) and
// the head as classifier.weight/bias. Needs a kCls head whose width matches the backbone in model_dir;
// other families are refused (kInvalidArgument), their classifiers reading more than [CLS].
void ExportImageClassifier(const LinearHead& head, const std::filesystem::path& model_dir,
                           const std::filesystem::path& out_dir);

}  // namespace vit
