// Similarity search over image embeddings with FAISS: cosine similarity as the inner product of
// L2-normalised vectors, exact (IndexFlatIP) for small sets, HNSW or IVF for large ones. An index is
// a folder: index.faiss, paths.txt (one path per vector, in id order) and index.json (model,
// features, kind, count, checksum), so a moved or damaged file is detected before it is used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "vit/tensor.h"

namespace vit {

enum class IndexKind {
  kAuto,  // kFlat up to IndexOptions::flat_limit vectors at build time, kHnsw above
  kFlat,  // exact
  kHnsw,  // graph search: no training, good recall, more memory
  kIvf,   // inverted lists over k-means cells: trained on the vectors given at build time
};
// "auto" | "flat" | "hnsw" | "ivf"; throws vit::Error(kInvalidArgument) otherwise.
IndexKind ParseIndexKind(const std::string& name);
const char* IndexKindName(IndexKind kind);

struct IndexOptions {
  IndexKind kind = IndexKind::kAuto;
  int64_t flat_limit = 50000;
  int hnsw_m = 32;               // graph degree
  int hnsw_ef_construction = 80;
  int hnsw_ef_search = 128;      // stored with the index; raise for recall, lower for speed
  int ivf_nlist = 0;             // cells; 0: about 4 sqrt(n), at most n / 39 (FAISS's training minimum)
  int ivf_nprobe = 16;           // cells visited per query; stored with the index
};

// What the vectors are, recorded so that `vit index add` and `search` embed new images the same way.
struct IndexMetadata {
  std::string model;
  std::string features;  // "cls" | "pooler" | "mean"
};

struct Neighbor {
  int64_t id = 0;
  float score = 0.0f;  // cosine similarity
  std::string path;
};

class EmbeddingIndex {
 public:
  // An index over embeddings [N, D] (normalised here), path i naming row i. kIvf trains on them.
  static EmbeddingIndex Build(const Tensor& embeddings, std::vector<std::string> paths, IndexMetadata metadata,
                              const IndexOptions& options = {});
  // Reads a folder written by Save; a missing, damaged or inconsistent file is a vit::Error that names it.
  static EmbeddingIndex Load(const std::filesystem::path& dir);

  EmbeddingIndex(EmbeddingIndex&&) noexcept;
  EmbeddingIndex& operator=(EmbeddingIndex&&) noexcept;
  ~EmbeddingIndex();

  void Save(const std::filesystem::path& dir) const;
  void Add(const Tensor& embeddings, std::vector<std::string> paths);
  // The k nearest stored vectors of each query row, best first (fewer when the index is smaller).
  std::vector<std::vector<Neighbor>> Search(const Tensor& queries, int k) const;
  // Search-time knobs of approximate indexes (ef for HNSW, nprobe for IVF); ignored by kFlat.
  void SetSearchEffort(int hnsw_ef_search, int ivf_nprobe);

  int64_t size() const;
  int64_t dim() const;
  IndexKind kind() const;
  const IndexMetadata& metadata() const;
  const std::vector<std::string>& paths() const;

 private:
  struct Impl;
  explicit EmbeddingIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Groups of near-duplicates: the connected components of "cosine similarity >= threshold" among
// the rows of embeddings [N, D] (exact search), groups of two or more only, each sorted, groups in
// order of their first member.
std::vector<std::vector<int64_t>> FindNearDuplicates(const Tensor& embeddings, float threshold);

}  // namespace vit
