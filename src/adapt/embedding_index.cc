// EmbeddingIndex over FAISS. The index file is serialised through memory so that its CRC can be
// stored in index.json and checked before FAISS parses a byte of it: a truncated or damaged file is a
// clear error instead of whatever FAISS makes of it.
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "io/file_set.h"
#include "io/json.h"
#include "io/json_fields.h"
#include "vit/error.h"
#include "vit/index.h"
#include "vit/pooling.h"

namespace vit {
namespace fs = std::filesystem;
namespace {

constexpr const char* kIndexFile = "index.faiss";
constexpr const char* kPathsFile = "paths.txt";
constexpr const char* kMetaFile = "index.json";
constexpr const char* kFormat = "vit-embedding-index";

uint32_t Crc(const void* data, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {  // zlib takes uInt lengths
    const auto chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

std::vector<uint8_t> ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open (is the index folder complete?)", ErrorKind::kNotFound);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Rows scaled to unit length, as FAISS's inner product then is the cosine similarity.
Tensor NormalizedCopy(const Tensor& t, const char* what) {
  if (t.rank() != 2 || t.dim(1) < 1)
    throw Error(std::string(what) + " must be [N, D] with D >= 1, got " + t.ShapeString(), ErrorKind::kInvalidArgument);
  Tensor copy = t.Clone();
  L2NormalizeRows(copy);
  for (float x : copy.values())
    if (!std::isfinite(x)) throw Error(std::string(what) + " hold a non-finite value", ErrorKind::kInvalidInput);
  return copy;
}

void CheckPaths(const std::vector<std::string>& paths) {
  for (const std::string& p : paths)
    if (p.find('\n') != std::string::npos || p.find('\r') != std::string::npos)
      throw Error("index: the path \"" + p + "\" holds a line break, which paths.txt cannot store",
                  ErrorKind::kInvalidArgument);
}

template <typename Fn>
auto Faiss(const std::string& what, Fn&& fn) {
  try {
    return fn();
  } catch (const faiss::FaissException& e) {
    throw Error(what + ": " + e.what(), ErrorKind::kInvalidInput);
  }
}

}  // namespace

struct EmbeddingIndex::Impl {
  std::unique_ptr<faiss::Index> index;
  IndexKind kind = IndexKind::kFlat;
  IndexMetadata metadata;
  std::vector<std::string> paths;
  int hnsw_ef_search = 128;
  int ivf_nprobe = 16;

  void ApplySearchEffort() {
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get())) hnsw->hnsw.efSearch = hnsw_ef_search;
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index.get())) ivf->nprobe = static_cast<size_t>(ivf_nprobe);
  }
};

IndexKind ParseIndexKind(const std::string& name) {
  if (name == "auto") return IndexKind::kAuto;
  if (name == "flat") return IndexKind::kFlat;
  if (name == "hnsw") return IndexKind::kHnsw;
  if (name == "ivf") return IndexKind::kIvf;
  throw Error("index type: expected auto, flat, hnsw or ivf, got \"" + name + "\"", ErrorKind::kInvalidArgument);
}

const char* IndexKindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kAuto: return "auto";
    case IndexKind::kFlat: return "flat";
    case IndexKind::kHnsw: return "hnsw";
    case IndexKind::kIvf: return "ivf";
  }
  return "flat";
}

EmbeddingIndex::EmbeddingIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddingIndex::EmbeddingIndex(EmbeddingIndex&&) noexcept = default;
EmbeddingIndex& EmbeddingIndex::operator=(EmbeddingIndex&&) noexcept = default;
EmbeddingIndex::~EmbeddingIndex() = default;

EmbeddingIndex EmbeddingIndex::Build(const Tensor& embeddings, std::vector<std::string> paths, IndexMetadata metadata,
                                     const IndexOptions& options) {
  const Tensor x = NormalizedCopy(embeddings, "index embeddings");
  const int64_t n = embeddings.dim(0), d = embeddings.dim(1);
  if (static_cast<int64_t>(paths.size()) != n)
    throw Error("index: " + std::to_string(paths.size()) + " paths for " + std::to_string(n) + " embeddings",
                ErrorKind::kInvalidArgument);
  if (n == 0) throw Error("index: nothing to index", ErrorKind::kInvalidArgument);
  if (options.hnsw_m < 2 || options.hnsw_ef_search < 1 || options.hnsw_ef_construction < 1 || options.ivf_nprobe < 1 ||
      options.ivf_nlist < 0)
    throw Error("index: HNSW M must be >= 2, ef and nprobe >= 1, nlist >= 0", ErrorKind::kInvalidArgument);
  CheckPaths(paths);

  auto impl = std::make_unique<Impl>();
  impl->kind = options.kind == IndexKind::kAuto ? (n <= options.flat_limit ? IndexKind::kFlat : IndexKind::kHnsw)
                                                : options.kind;
  impl->metadata = std::move(metadata);
  impl->paths = std::move(paths);
  impl->hnsw_ef_search = options.hnsw_ef_search;
  impl->ivf_nprobe = options.ivf_nprobe;
  const auto di = static_cast<int>(d);
  switch (impl->kind) {
    case IndexKind::kFlat:
    case IndexKind::kAuto:
      impl->index = std::make_unique<faiss::IndexFlatIP>(di);
      break;
    case IndexKind::kHnsw: {
      auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(di, options.hnsw_m, faiss::METRIC_INNER_PRODUCT);
      hnsw->hnsw.efConstruction = options.hnsw_ef_construction;
      impl->index = std::move(hnsw);
      break;
    }
    case IndexKind::kIvf: {
      // FAISS wants >= 39 training points per cell for its k-means.
      int64_t nlist = options.ivf_nlist > 0 ? options.ivf_nlist
                                            : std::clamp<int64_t>(static_cast<int64_t>(4 * std::sqrt(double(n))), 1,
                                                                  std::max<int64_t>(1, n / 39));
      if (nlist > n)
        throw Error("index: IVF with " + std::to_string(nlist) + " cells needs at least that many vectors, got " +
                        std::to_string(n) + " (use --index-type flat or hnsw for small sets)",
                    ErrorKind::kInvalidArgument);
      auto quantizer = new faiss::IndexFlatIP(di);
      auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer, di, static_cast<size_t>(nlist),
                                                       faiss::METRIC_INNER_PRODUCT);
      ivf->own_fields = true;
      ivf->cp.verbose = false;
      Faiss("index: IVF training", [&] { ivf->train(n, x.data()); return 0; });
      impl->index = std::move(ivf);
      break;
    }
  }
  impl->ApplySearchEffort();
  Faiss("index: adding vectors", [&] { impl->index->add(n, x.data()); return 0; });
  return EmbeddingIndex(std::move(impl));
}

void EmbeddingIndex::Add(const Tensor& embeddings, std::vector<std::string> paths) {
  const Tensor x = NormalizedCopy(embeddings, "index embeddings");
  if (embeddings.dim(1) != dim())
    throw Error("index: embeddings are " + std::to_string(embeddings.dim(1)) + "-wide, the index holds " +
                    std::to_string(dim()) + "-wide vectors (another model or --features?)",
                ErrorKind::kInvalidArgument);
  if (static_cast<int64_t>(paths.size()) != embeddings.dim(0))
    throw Error("index: " + std::to_string(paths.size()) + " paths for " + std::to_string(embeddings.dim(0)) +
                    " embeddings",
                ErrorKind::kInvalidArgument);
  CheckPaths(paths);
  Faiss("index: adding vectors", [&] { impl_->index->add(embeddings.dim(0), x.data()); return 0; });
  impl_->paths.insert(impl_->paths.end(), std::make_move_iterator(paths.begin()), std::make_move_iterator(paths.end()));
}

std::vector<std::vector<Neighbor>> EmbeddingIndex::Search(const Tensor& queries, int k) const {
  if (k < 1) throw Error("index search: k must be >= 1", ErrorKind::kInvalidArgument);
  const Tensor q = NormalizedCopy(queries, "queries");
  if (queries.dim(1) != dim())
    throw Error("index search: queries are " + std::to_string(queries.dim(1)) + "-wide, the index holds " +
                    std::to_string(dim()) + "-wide vectors",
                ErrorKind::kInvalidArgument);
  const int64_t n = queries.dim(0);
  const int64_t kk = std::min<int64_t>(k, size());
  std::vector<std::vector<Neighbor>> out(static_cast<size_t>(n));
  if (kk == 0) return out;
  std::vector<float> scores(static_cast<size_t>(n * kk));
  std::vector<faiss::Index::idx_t> ids(static_cast<size_t>(n * kk));
  Faiss("index search", [&] { impl_->index->search(n, q.data(), kk, scores.data(), ids.data()); return 0; });
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < kk; ++j) {
      const faiss::Index::idx_t id = ids[static_cast<size_t>(i * kk + j)];
      if (id < 0 || id >= size()) continue;  // approximate indexes may find fewer than k
      out[static_cast<size_t>(i)].push_back(
          {id, scores[static_cast<size_t>(i * kk + j)], impl_->paths[static_cast<size_t>(id)]});
    }
  return out;
}

void EmbeddingIndex::SetSearchEffort(int hnsw_ef_search, int ivf_nprobe) {
  if (hnsw_ef_search < 1 || ivf_nprobe < 1)
    throw Error("index: ef-search and nprobe must be >= 1", ErrorKind::kInvalidArgument);
  impl_->hnsw_ef_search = hnsw_ef_search;
  impl_->ivf_nprobe = ivf_nprobe;
  impl_->ApplySearchEffort();
}

int64_t EmbeddingIndex::size() const { return impl_->index->ntotal; }
int64_t EmbeddingIndex::dim() const { return impl_->index->d; }
IndexKind EmbeddingIndex::kind() const { return impl_->kind; }
const IndexMetadata& EmbeddingIndex::metadata() const { return impl_->metadata; }
const std::vector<std::string>& EmbeddingIndex::paths() const { return impl_->paths; }

void EmbeddingIndex::Save(const fs::path& dir) const {
  faiss::VectorIOWriter writer;
  Faiss("index: serialising", [&] { faiss::write_index(impl_->index.get(), &writer); return 0; });
  std::string paths_text;
  for (const std::string& p : impl_->paths) paths_text += p + "\n";

  io::Json meta = io::Json::object();
  meta["format"] = kFormat;
  meta["version"] = 1;
  meta["model"] = impl_->metadata.model;
  meta["features"] = impl_->metadata.features;
  meta["kind"] = IndexKindName(impl_->kind);
  meta["metric"] = "cosine";
  meta["dim"] = dim();
  meta["count"] = size();
  meta["hnsw_ef_search"] = impl_->hnsw_ef_search;
  meta["ivf_nprobe"] = impl_->ivf_nprobe;
  meta["index_bytes"] = writer.data.size();
  meta["index_crc32"] = Crc(writer.data.data(), writer.data.size());
  meta["paths_crc32"] = Crc(paths_text.data(), paths_text.size());
  const std::string meta_text = meta.dump(2) + "\n";
  // The three replaced together: a reader (or `index add` after a crash) finds the old trio or the new.
  // (Where they are replaced one by one, index.json goes last and its checksums catch a mix.)
  io::FileSet set(dir);
  set.Write(kIndexFile, std::string_view(reinterpret_cast<const char*>(writer.data.data()), writer.data.size()));
  set.Write(kPathsFile, paths_text);
  set.Write(kMetaFile, meta_text);
  set.Commit();
}

EmbeddingIndex EmbeddingIndex::Load(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(dir.string() + ": no such index folder (made by `vit index build`)", ErrorKind::kNotFound);
  const fs::path meta_path = dir / kMetaFile;
  if (!fs::exists(meta_path, ec)) throw Error(meta_path.string() + ": missing; not an index folder", ErrorKind::kNotFound);
  const io::Json meta = io::ReadJsonFile(meta_path);
  const std::string where = meta_path.string();
  const io::JsonFields r(meta, where);

  auto impl = std::make_unique<Impl>();
  if (r.Get<std::string>("format") != kFormat || r.Get<int>("version") != 1)
    throw Error(where + ": format is not " + kFormat + " version 1", ErrorKind::kUnsupported);
  impl->metadata.model = r.Get<std::string>("model");
  impl->metadata.features = r.Get<std::string>("features");
  try {
    impl->kind = ParseIndexKind(r.Get<std::string>("kind"));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kInvalidArgument) throw;
    r.Fail("kind", e.what());
  }
  const auto dim = r.Get<int64_t>("dim");
  const auto count = r.Get<int64_t>("count");
  impl->hnsw_ef_search = r.Get<int>("hnsw_ef_search");
  impl->ivf_nprobe = r.Get<int>("ivf_nprobe");
  const auto index_bytes = r.Get<uint64_t>("index_bytes");
  const auto index_crc = r.Get<uint32_t>("index_crc32");
  const auto paths_crc = r.Get<uint32_t>("paths_crc32");
  if (impl->kind == IndexKind::kAuto || dim < 1 || count < 0 || impl->hnsw_ef_search < 1 || impl->ivf_nprobe < 1)
    throw Error(where + ": kind, dim, count, hnsw_ef_search or ivf_nprobe out of range", ErrorKind::kInvalidInput);

  const fs::path index_path = dir / kIndexFile;
  faiss::VectorIOReader reader;
  reader.data = ReadBytes(index_path);
  if (reader.data.size() != index_bytes || Crc(reader.data.data(), reader.data.size()) != index_crc)
    throw Error(index_path.string() + ": damaged: its size or CRC-32 differs from what " + kMetaFile +
                    " recorded (rebuild the index)",
                ErrorKind::kInvalidInput);
  impl->index.reset(Faiss(index_path.string() + ": FAISS cannot read it", [&] { return faiss::read_index(&reader); }));
  const bool kind_matches =
      (impl->kind == IndexKind::kFlat && dynamic_cast<faiss::IndexFlatIP*>(impl->index.get())) ||
      (impl->kind == IndexKind::kHnsw && dynamic_cast<faiss::IndexHNSWFlat*>(impl->index.get())) ||
      (impl->kind == IndexKind::kIvf && dynamic_cast<faiss::IndexIVFFlat*>(impl->index.get()));
  if (!kind_matches || impl->index->metric_type != faiss::METRIC_INNER_PRODUCT || impl->index->d != dim ||
      impl->index->ntotal != count)
    throw Error(index_path.string() + ": holds another kind, metric, width or count than " + kMetaFile + " says",
                ErrorKind::kInvalidInput);

  const fs::path paths_path = dir / kPathsFile;
  const std::vector<uint8_t> paths_bytes = ReadBytes(paths_path);
  if (Crc(paths_bytes.data(), paths_bytes.size()) != paths_crc)
    throw Error(paths_path.string() + ": damaged: its CRC-32 differs from what " + kMetaFile + " recorded",
                ErrorKind::kInvalidInput);
  std::string line;
  std::istringstream lines(std::string(paths_bytes.begin(), paths_bytes.end()));
  while (std::getline(lines, line)) impl->paths.push_back(line);
  if (static_cast<int64_t>(impl->paths.size()) != count)
    throw Error(paths_path.string() + ": " + std::to_string(impl->paths.size()) + " paths for " +
                    std::to_string(count) + " vectors",
                ErrorKind::kInvalidInput);
  impl->ApplySearchEffort();
  return EmbeddingIndex(std::move(impl));
}

}  // namespace vit
