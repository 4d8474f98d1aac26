// vit probe: linear probes on a frozen ViT.
//   train   ImageFolder in, features extracted (cached), C cross-validated, head + report out
//   fit     the same from feature arrays already computed (.npy rows + one label per line)
//   export  a head and its backbone as a Hugging Face ViTForImageClassification folder
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>

#include "checks.h"
#include "commands.h"
#include "exit_codes.h"
#include "feature_args.h"
#include "help.h"
#include "model_args.h"
#include "vit/inspect.h"
#include "vit/npy.h"
#include "vit/probe.h"
#include "vit/vit.h"

namespace vit::tool {
namespace {

namespace fs = std::filesystem;

struct SolverArgs {
  std::vector<double> Cs;
  int cv_folds = 5;
  uint64_t seed = 0;
  int max_iterations = 1000;
  double tolerance = 1e-6;
  bool no_standardize = false;
  std::string out = "probe-head";

  void AddTo(CLI::App& cmd) {
    cmd.add_option("-o,--out", out, "head folder: head.safetensors, head_config.json, report.json, confusion_matrix.png")
        ->capture_default_str();
    cmd.add_option("--C", Cs,
                   "inverse L2 strength(s) to cross-validate (default: 10 values log-spaced over 1e-4..1e4); "
                   "one value: no cross-validation")
        ->check(cli::Positive());
    cmd.add_option("--cv-folds", cv_folds, "stratified cross-validation folds")->check(CLI::Range(2, 100))->capture_default_str();
    cmd.add_option("--seed", seed, "seed of the validation split and the folds")->capture_default_str();
    cmd.add_option("--max-iter", max_iterations, "L-BFGS iterations per fit")->check(CLI::Range(1, 1000000))->capture_default_str();
    cmd.add_option("--tol", tolerance, "L-BFGS tolerance on the gradient of the mean loss")
        ->check(cli::Positive())
        ->capture_default_str();
    cmd.add_flag("--no-standardize", no_standardize, "solve on the raw features (the default standardises, then folds the scaling into the head)");
  }

  ProbeTrainingOptions ToOptions() const {
    ProbeTrainingOptions o;
    o.Cs = Cs;
    o.cv_folds = cv_folds;
    o.seed = seed;
    o.max_iterations = max_iterations;
    o.tolerance = tolerance;
    o.standardize = !no_standardize;
    return o;
  }
};

struct TrainArgs {
  ModelArgs model;
  SolverArgs solver;
  FeatureArgs extraction;
  std::string data, val;
  double val_split = 0.2;
};

struct FitArgs {
  SolverArgs solver;
  std::string train_npy, train_labels, val_npy, val_labels, model, features;  // features: --pooling
};

struct ExportArgs {
  std::string head, out, model, revision, cache_dir;
  bool offline = false;
};

// The rows of `features` picked by `rows`.
Tensor GatherRows(const Tensor& features, const std::vector<size_t>& rows) {
  const int64_t d = features.dim(1);
  Tensor out({static_cast<int64_t>(rows.size()), d});
  for (size_t r = 0; r < rows.size(); ++r)
    std::copy_n(features.data() + static_cast<int64_t>(rows[r]) * d, d, out.data() + static_cast<int64_t>(r) * d);
  return out;
}

nlohmann::json ReportJson(const ClassificationReport& r) {
  nlohmann::json per = nlohmann::json::array();
  for (size_t c = 0; c < r.labels.size(); ++c)
    per.push_back({{"label", r.labels[c]}, {"precision", r.precision[c]}, {"recall", r.recall[c]}, {"support", r.support[c]}});
  return {{"accuracy", r.accuracy}, {"total", r.total}, {"per_class", per}, {"confusion_matrix", r.confusion}};
}

// Trains, prints and writes everything a probe produces; returns the exit code.
int TrainAndReport(const Tensor& train_x, const std::vector<int>& train_y, const Tensor& val_x,
                   const std::vector<int>& val_y, std::vector<std::string> classes, const std::string& model,
                   Pooling features, const SolverArgs& solver, nlohmann::json report) {
  std::fprintf(stderr, "vit probe: %lld training and %lld validation rows of %lld features, %zu classes\n",
               static_cast<long long>(train_x.dim(0)), static_cast<long long>(val_x.empty() ? 0 : val_x.dim(0)),
               static_cast<long long>(train_x.dim(1)), classes.size());
  ProbeTrainingResult result = TrainLinearProbe(train_x, train_y, std::move(classes), solver.ToOptions());
  LinearHead& head = result.head;
  head.model = model;
  head.features = features;

  if (!result.cv_accuracy.empty()) {
    std::printf("cross-validation (%d folds), mean held-out accuracy:\n", result.cv_folds);
    for (size_t i = 0; i < result.Cs.size(); ++i)
      std::printf("  C=%-12.6g %.4f%s\n", result.Cs[i], result.cv_accuracy[i], result.Cs[i] == head.C ? "  <- chosen" : "");
  } else if (result.Cs.size() > 1) {
    std::printf("cross-validation skipped (a class has fewer than 2 training rows): C=%g\n", head.C);
  }
  std::printf("C=%g, %d L-BFGS iterations%s; cross-validation %.2f s, final fit %.2f s\n", head.C, result.iterations,
              result.converged ? "" : " (not converged)", result.cv_seconds, result.fit_seconds);

  const ClassificationReport train_report = EvaluateClassifier(head.Logits(train_x), train_y, head.id2label);
  std::printf("\ntraining %s", train_report.ToText().c_str());
  const bool has_val = !val_x.empty() && val_x.dim(0) > 0;
  std::optional<ClassificationReport> val_report;
  if (has_val) {
    val_report = EvaluateClassifier(head.Logits(val_x), val_y, head.id2label);
    std::printf("\nvalidation %s", val_report->ToText().c_str());
  }

  const fs::path out(solver.out);
  head.Save(out);
  WriteConfusionMatrixPng(has_val ? *val_report : train_report, out / "confusion_matrix.png");
  nlohmann::json cv = nlohmann::json::array();
  for (size_t i = 0; i < result.cv_accuracy.size(); ++i) cv.push_back({{"C", result.Cs[i]}, {"accuracy", result.cv_accuracy[i]}});
  report["C"] = head.C;
  report["cross_validation"] = cv;
  report["cv_folds"] = result.cv_folds;
  report["iterations"] = result.iterations;
  report["converged"] = result.converged;
  report["train"] = ReportJson(train_report);
  if (has_val) report["validation"] = ReportJson(*val_report);
  report["seconds"]["cross_validation"] = result.cv_seconds;
  report["seconds"]["fit"] = result.fit_seconds;
  std::ofstream(out / "report.json") << report.dump(2) << "\n";
  std::fprintf(stderr, "vit probe: wrote %s (head.safetensors, head_config.json, report.json, confusion_matrix.png of the %s set)\n",
               out.c_str(), has_val ? "validation" : "training");
  if (!result.converged)
    std::fprintf(stderr, "vit probe: warning: L-BFGS stopped before convergence (%d iterations); raise --max-iter\n",
                 result.iterations);
  return kExitOk;
}

int RunTrain(const TrainArgs& args) {
  const ImageFolder train = ScanImageFolder(args.data);
  if (train.classes.size() < 2)
    throw Error(args.data + ": only one class folder (\"" + train.classes[0] + "\"); a classifier needs at least 2",
                ErrorKind::kInvalidInput);
  std::vector<fs::path> files;
  std::vector<int> labels;
  std::vector<size_t> train_rows, val_rows;
  if (!args.val.empty()) {
    const ImageFolder val = ScanImageFolder(args.val, train.classes);
    files = train.files;
    files.insert(files.end(), val.files.begin(), val.files.end());
    labels = train.labels;
    labels.insert(labels.end(), val.labels.begin(), val.labels.end());
    for (size_t i = 0; i < files.size(); ++i) (i < train.files.size() ? train_rows : val_rows).push_back(i);
  } else {
    files = train.files;
    labels = train.labels;
    SplitStratified(labels, args.val_split, args.solver.seed, train_rows, val_rows);
  }

  auto model = LoadModel(args.model.model, args.model.ToLoadOptions());
  // cls, which exports as a ViTForImageClassification head; a model without a [CLS] (SigLIP) its default.
  const Pooling features =
      args.extraction.PoolingOr(model->info().leading_tokens >= 1 ? Pooling::kCls : DefaultPooling(model->info()));
  const auto start = std::chrono::steady_clock::now();
  const ExtractedFeatures extracted = args.extraction.Extract(*model, files, "vit probe", features);
  const double extraction_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "vit probe: features of %zu images in %.2f s (%zu from the cache)\n", extracted.kept.size(),
               extraction_seconds, extracted.from_cache);
  nlohmann::json skipped = nlohmann::json::array();
  for (const SkippedFile& s : extracted.skipped) {
    skipped.push_back({{"file", s.file.string()}, {"reason", s.reason}});
  }

  // Row of each kept input in extracted.features; dropped inputs leave the split.
  std::vector<int64_t> row_of(files.size(), -1);
  for (size_t r = 0; r < extracted.kept.size(); ++r) row_of[extracted.kept[r]] = static_cast<int64_t>(r);
  auto pick = [&](const std::vector<size_t>& inputs, std::vector<int>& y) {
    std::vector<size_t> rows;
    for (size_t i : inputs)
      if (row_of[i] >= 0) {
        rows.push_back(static_cast<size_t>(row_of[i]));
        y.push_back(labels[i]);
      }
    return GatherRows(extracted.features, rows);
  };
  std::vector<int> train_y, val_y;
  const Tensor train_x = pick(train_rows, train_y);
  const Tensor val_x = pick(val_rows, val_y);

  nlohmann::json report = {{"model", args.model.model},
                           {"features", PoolingName(features)},
                           {"data", args.data},
                           {"skipped", skipped},
                           {"seconds", {{"feature_extraction", extraction_seconds}}},
                           {"features_from_cache", extracted.from_cache}};
  const int code = TrainAndReport(train_x, train_y, val_x, val_y, train.classes, ModelReference(args.model.model),
                                  features, args.solver, report);
  return code == kExitOk && !extracted.skipped.empty() ? kExitPartial : code;
}

// One class name per line (trailing '\r' dropped); classes are the sorted distinct names, as ImageFolder's.
std::vector<std::string> ReadLabelLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the labels file", ErrorKind::kNotFound);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw Error(path + ": line " + std::to_string(lines.size() + 1) + " is empty; expected a class name",
                                  ErrorKind::kInvalidInput);
    lines.push_back(line);
  }
  return lines;
}

Tensor ReadFeatureRows(const std::string& path, size_t expected_rows, const std::string& labels_path) {
  Tensor x = ReadNpy(path);
  if (x.rank() != 2) throw Error(path + ": expected a 2-D array [N, D] of features, got " + x.ShapeString(),
                                 ErrorKind::kInvalidInput);
  if (static_cast<size_t>(x.dim(0)) != expected_rows)
    throw Error(path + " has " + std::to_string(x.dim(0)) + " rows but " + labels_path + " has " +
                    std::to_string(expected_rows) + " labels",
                ErrorKind::kInvalidInput);
  return x;
}

int RunFit(const FitArgs& args) {
  const Pooling features = args.features.empty() ? Pooling::kCls : ParsePooling(args.features);
  const std::vector<std::string> train_names = ReadLabelLines(args.train_labels);
  const Tensor train_x = ReadFeatureRows(args.train_npy, train_names.size(), args.train_labels);
  const std::set<std::string> distinct(train_names.begin(), train_names.end());
  std::vector<std::string> classes(distinct.begin(), distinct.end());
  if (classes.size() < 2)
    throw Error(args.train_labels + ": only one class; a classifier needs at least 2", ErrorKind::kInvalidInput);
  std::map<std::string, int> id;
  for (size_t i = 0; i < classes.size(); ++i) id[classes[i]] = static_cast<int>(i);
  std::vector<int> train_y, val_y;
  for (const auto& n : train_names) train_y.push_back(id[n]);
  Tensor val_x;
  if (!args.val_npy.empty()) {
    const std::vector<std::string> val_names = ReadLabelLines(args.val_labels);
    val_x = ReadFeatureRows(args.val_npy, val_names.size(), args.val_labels);
    if (val_x.dim(1) != train_x.dim(1))
      throw Error(args.val_npy + ": " + std::to_string(val_x.dim(1)) + " features per row, the training rows have " +
                      std::to_string(train_x.dim(1)),
                  ErrorKind::kInvalidInput);
    for (const auto& n : val_names) {
      const auto it = id.find(n);
      if (it == id.end()) throw Error(args.val_labels + ": class \"" + n + "\" is not among the training classes",
                                      ErrorKind::kInvalidInput);
      val_y.push_back(it->second);
    }
  }
  nlohmann::json report = {{"model", args.model}, {"features", PoolingName(features)}, {"data", args.train_npy}};
  return TrainAndReport(train_x, train_y, val_x, val_y, classes, ModelReference(args.model), features, args.solver,
                        report);
}

int RunExport(const ExportArgs& args) {
  const LinearHead head = LinearHead::Load(args.head);
  const std::string model = args.model.empty() ? head.model : args.model;
  if (model.empty())
    throw Error(args.head + " records no model; pass --model with the backbone it was trained on",
                ErrorKind::kInvalidArgument);
  HubOptions hub;
  hub.revision = args.revision;
  if (args.offline) hub.offline = true;
  if (!args.cache_dir.empty()) hub.cache_dir = args.cache_dir;
  const ModelInspection inspection = InspectModel(model, hub);
  ExportImageClassifier(head, inspection.directory, args.out);
  std::fprintf(stderr, "vit probe export: wrote %s (ViTForImageClassification over %s, %lld labels)\n",
               args.out.c_str(), model.c_str(), static_cast<long long>(head.num_labels()));
  return kExitOk;
}

}  // namespace

void AddProbeCommand(CLI::App& app, CommandRunner& run) {
  CLI::App* probe = app.add_subcommand("probe", "Linear probes: train a softmax classifier on a frozen ViT, export it");
  probe->require_subcommand(1);

  auto train = std::make_shared<TrainArgs>();
  CLI::App* t = probe->add_subcommand("train", "Train a probe on an ImageFolder (one sub-folder per class)");
  train->model.AddTo(*t);
  t->add_option("--data", train->data, "training ImageFolder")->required();
  auto* val = t->add_option("--val", train->val, "validation ImageFolder (default: a stratified split of --data)");
  t->add_option("--val-split", train->val_split, "fraction of --data held out for validation (0: none)")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str()
      ->excludes(val);
  train->extraction.AddTo(*t, /*with_pooling=*/true, "cls, the token a ViTForImageClassification classifier reads, so that the head exports (SigLIP, which has no [CLS]: pooler)");
  train->solver.AddTo(*t);
  t->footer(Examples({"vit probe train -m google/vit-base-patch16-224-in21k --data train/ --out head",
                      "vit probe train -m ./my-model --data train/ --val val/ --pooling mean --out head-mean"},
                     "--data is an ImageFolder: one sub-folder per class, images inside."));
  t->callback([train, &run] { run = [train] { return RunTrain(*train); }; });

  auto fit = std::make_shared<FitArgs>();
  CLI::App* f = probe->add_subcommand("fit", "Train a probe on feature rows already computed (e.g. vit embed --outputs cls)");
  f->add_option("--train-npy", fit->train_npy, "features [N, D] .npy")->required();
  f->add_option("--train-labels", fit->train_labels, "text file, one class name per row of --train-npy")->required();
  auto* vn = f->add_option("--val-npy", fit->val_npy, "validation features [M, D] .npy");
  auto* vl = f->add_option("--val-labels", fit->val_labels, "one class name per row of --val-npy");
  vn->needs(vl);
  vl->needs(vn);
  f->add_option("--model", fit->model, "the model the features came from (recorded for classify and export)");
  AddPoolingOption(*f, fit->features, "cls");
  fit->solver.AddTo(*f);
  f->footer(Examples({"vit embed -m M --outputs cls -o emb train/ && vit probe fit --train-npy emb/cls.npy "
                      "--train-labels labels.txt --model M --out head"}));
  f->callback([fit, &run] { run = [fit] { return RunFit(*fit); }; });

  auto exp = std::make_shared<ExportArgs>();
  CLI::App* e = probe->add_subcommand("export", "Write a probe and its backbone as a ViTForImageClassification folder");
  e->add_option("--head", exp->head, "head folder from vit probe train / fit")->required();
  e->add_option("-o,--out", exp->out, "output folder (config.json, preprocessor_config.json, model.safetensors)")->required();
  e->add_option("-m,--model", exp->model, "backbone folder or hub id (default: the one recorded in the head)");
  e->add_option("--revision", exp->revision, "hub branch, tag or commit (default: main)");
  e->add_flag("--offline", exp->offline, "use the Hugging Face cache only (also HF_HUB_OFFLINE=1)");
  e->add_option("--cache-dir", exp->cache_dir, "Hugging Face hub cache (default: HF_HUB_CACHE, else $HF_HOME/hub)");
  e->footer(Examples({"vit probe export --head head --out my-classifier",
                      "vit classify -m my-classifier photos/"}));
  e->callback([exp, &run] { run = [exp] { return RunExport(*exp); }; });
}

}  // namespace vit::tool
