// Probes and indexes on numpy arrays: TrainLinearProbe / LinearHead and EmbeddingIndex of
// include/vit/probe.h and index.h, so features a user already holds can be fitted and searched.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstring>
#include <limits>

#include "arrays.h"
#include "bindings.h"
#include "vit/error.h"
#include "vit/index.h"
#include "vit/pooling.h"
#include "vit/probe.h"

namespace py = pybind11;

namespace vit::python {
namespace {

std::vector<int> LabelsFrom(const py::array& labels, int64_t rows) {
  if (labels.ndim() != 1 || (labels.dtype().kind() != 'i' && labels.dtype().kind() != 'u'))
    throw Error("labels: expected a 1-dimensional integer array, got dtype " + std::string(py::str(labels.dtype())) +
                    " and " + std::to_string(labels.ndim()) + " dimensions",
                ErrorKind::kInvalidArgument);
  if (labels.shape(0) != rows)
    throw Error("labels: " + std::to_string(labels.shape(0)) + " labels for " + std::to_string(rows) + " feature rows",
                ErrorKind::kInvalidArgument);
  auto as_int = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(labels);
  std::vector<int> out(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t v = as_int.at(i);
    if (v < 0 || v > std::numeric_limits<int>::max())
      throw Error("labels: label " + std::to_string(v) + " at row " + std::to_string(i) + " is out of range",
                  ErrorKind::kInvalidArgument);
    out[static_cast<size_t>(i)] = static_cast<int>(v);
  }
  return out;
}

py::tuple NeighborArrays(const std::vector<std::vector<Neighbor>>& found, int k) {
  const auto q = static_cast<py::ssize_t>(found.size());
  py::array_t<float> scores({q, static_cast<py::ssize_t>(k)});
  py::array_t<int64_t> ids({q, static_cast<py::ssize_t>(k)});
  auto s = scores.mutable_unchecked<2>();
  auto i = ids.mutable_unchecked<2>();
  for (py::ssize_t r = 0; r < q; ++r) {
    for (py::ssize_t c = 0; c < k; ++c) {
      const bool has = static_cast<size_t>(c) < found[static_cast<size_t>(r)].size();
      s(r, c) = has ? found[static_cast<size_t>(r)][static_cast<size_t>(c)].score : -std::numeric_limits<float>::infinity();
      i(r, c) = has ? found[static_cast<size_t>(r)][static_cast<size_t>(c)].id : -1;
    }
  }
  return py::make_tuple(scores, ids);
}

}  // namespace

void RegisterAdapt(py::module_& m) {
  py::class_<LinearHead>(m, "LinearHead", "A trained linear probe: logits = features @ weight.T + bias.")
      .def_readonly("model", &LinearHead::model)
      .def_property_readonly("features", [](const LinearHead& h) { return std::string(PoolingName(h.features)); })
      .def_readonly("id2label", &LinearHead::id2label)
      .def_property_readonly("weight", [](const LinearHead& h) { return ToNumpy(h.weight); })
      .def_property_readonly("bias", [](const LinearHead& h) { return ToNumpy(h.bias); })
      .def_readonly("C", &LinearHead::C)
      .def(
          "logits",
          [](const LinearHead& h, const py::array& features) {
            const Tensor x = FromNumpy(features, "features", 2, true);
            Tensor logits;
            {
              py::gil_scoped_release release;
              logits = h.Logits(x);
            }
            return ToNumpy(logits);
          },
          py::arg("features"), "[N, num_labels] logits of features [N, hidden_size].")
      .def("save", &LinearHead::Save, py::arg("directory"), "Writes head.safetensors and head_config.json.")
      .def_static("load", &LinearHead::Load, py::arg("directory"))
      .def(
          "export",
          [](const LinearHead& h, const std::filesystem::path& model_dir, const std::filesystem::path& out_dir) {
            py::gil_scoped_release release;
            ExportImageClassifier(h, model_dir, out_dir);
          },
          py::arg("model_dir"), py::arg("out_dir"),
          "Writes a Hugging Face ViTForImageClassification folder: the backbone in model_dir with this head.");

  m.def(
      "train_linear_probe",
      [](const py::array& features, const py::array& labels, std::vector<std::string> id2label,
         const std::string& feature_kind, const std::string& model_name, std::vector<double> Cs, int cv_folds,
         uint64_t seed, bool standardize, int max_iterations, double tolerance) {
        const Tensor x = FromNumpy(features, "features", 2, true);
        const std::vector<int> y = LabelsFrom(labels, x.dim(0));
        ProbeTrainingOptions options;
        options.Cs = std::move(Cs);
        options.cv_folds = cv_folds;
        options.seed = seed;
        options.standardize = standardize;
        options.max_iterations = max_iterations;
        options.tolerance = tolerance;
        const Pooling kind = ParsePooling(feature_kind);
        ProbeTrainingResult r;
        {
          py::gil_scoped_release release;
          r = TrainLinearProbe(x, y, std::move(id2label), options);
        }
        r.head.features = kind;
        r.head.model = model_name;
        py::dict report;
        report["Cs"] = r.Cs;
        report["cv_accuracy"] = r.cv_accuracy;
        report["cv_folds"] = r.cv_folds;
        report["iterations"] = r.iterations;
        report["converged"] = r.converged;
        return py::make_tuple(std::move(r.head), report);
      },
      py::arg("features"), py::arg("labels"), py::arg("id2label"), py::arg("feature_kind") = "cls",
      py::arg("model") = "", py::arg("Cs") = std::vector<double>{}, py::arg("cv_folds") = 5, py::arg("seed") = 0,
      py::arg("standardize") = true, py::arg("max_iterations") = 1000, py::arg("tolerance") = 1e-6,
      "Softmax regression with L2 chosen by stratified cross-validation; (LinearHead, report).");

  py::class_<EmbeddingIndex>(m, "EmbeddingIndex", "Cosine-similarity search over embeddings (FAISS).")
      .def_static(
          "build",
          [](const py::array& embeddings, std::vector<std::string> paths, const std::string& model,
             const std::string& features, const std::string& kind, int64_t flat_limit, int hnsw_m,
             int hnsw_ef_construction, int hnsw_ef_search, int ivf_nlist, int ivf_nprobe) {
            const Tensor x = FromNumpy(embeddings, "embeddings", 2, true);
            IndexOptions options;
            options.kind = ParseIndexKind(kind);
            options.flat_limit = flat_limit;
            options.hnsw_m = hnsw_m;
            options.hnsw_ef_construction = hnsw_ef_construction;
            options.hnsw_ef_search = hnsw_ef_search;
            options.ivf_nlist = ivf_nlist;
            options.ivf_nprobe = ivf_nprobe;
            py::gil_scoped_release release;
            return EmbeddingIndex::Build(x, std::move(paths), IndexMetadata{model, features}, options);
          },
          py::arg("embeddings"), py::arg("paths"), py::arg("model") = "", py::arg("features") = "",
          py::arg("kind") = "auto", py::arg("flat_limit") = 50000, py::arg("hnsw_m") = 32,
          py::arg("hnsw_ef_construction") = 80, py::arg("hnsw_ef_search") = 128, py::arg("ivf_nlist") = 0,
          py::arg("ivf_nprobe") = 16)
      .def_static("load", &EmbeddingIndex::Load, py::arg("directory"))
      .def("save", &EmbeddingIndex::Save, py::arg("directory"))
      .def(
          "add",
          [](EmbeddingIndex& index, const py::array& embeddings, std::vector<std::string> paths) {
            const Tensor x = FromNumpy(embeddings, "embeddings", 2, true);
            py::gil_scoped_release release;
            index.Add(x, std::move(paths));
          },
          py::arg("embeddings"), py::arg("paths"))
      .def(
          "search",
          [](const EmbeddingIndex& index, const py::array& queries, int k) {
            if (k < 1) throw Error("k must be at least 1, got " + std::to_string(k), ErrorKind::kInvalidArgument);
            const Tensor q = FromNumpy(queries, "queries", 2, true);
            std::vector<std::vector<Neighbor>> found;
            {
              py::gil_scoped_release release;
              found = index.Search(q, k);
            }
            return NeighborArrays(found, k);
          },
          py::arg("queries"), py::arg("k"), "(scores [Q, k] float32, ids [Q, k] int64), padded with -inf and -1.")
      .def("set_search_effort", &EmbeddingIndex::SetSearchEffort, py::arg("hnsw_ef_search"), py::arg("ivf_nprobe"))
      .def_property_readonly("size", &EmbeddingIndex::size)
      .def_property_readonly("dim", &EmbeddingIndex::dim)
      .def_property_readonly("kind", [](const EmbeddingIndex& i) { return std::string(IndexKindName(i.kind())); })
      .def_property_readonly("model", [](const EmbeddingIndex& i) { return i.metadata().model; })
      .def_property_readonly("features", [](const EmbeddingIndex& i) { return i.metadata().features; })
      .def_property_readonly("paths", &EmbeddingIndex::paths);

  m.def(
      "find_near_duplicates",
      [](const py::array& embeddings, float threshold) {
        const Tensor x = FromNumpy(embeddings, "embeddings", 2, true);
        py::gil_scoped_release release;
        return FindNearDuplicates(x, threshold);
      },
      py::arg("embeddings"), py::arg("threshold"),
      "Groups (lists of row indices) whose members have cosine similarity >= threshold, transitively.");
}

}  // namespace vit::python
