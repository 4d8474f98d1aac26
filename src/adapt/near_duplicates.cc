// FindNearDuplicates: exact range search (IndexFlatIP) over normalised rows, in blocks of queries so
// that a low threshold cannot hold every pair in memory at once, merged by union-find.
#include <faiss/IndexFlat.h>
#include <faiss/impl/AuxIndexStructures.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "vit/error.h"
#include "vit/index.h"
#include "vit/pooling.h"

namespace vit {
namespace {

struct DisjointSets {
  std::vector<int64_t> parent;
  explicit DisjointSets(int64_t n) : parent(static_cast<size_t>(n)) { std::iota(parent.begin(), parent.end(), 0); }
  int64_t Find(int64_t x) {
    while (parent[static_cast<size_t>(x)] != x) x = parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
    return x;
  }
  void Join(int64_t a, int64_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
  }
};

}  // namespace

std::vector<std::vector<int64_t>> FindNearDuplicates(const Tensor& embeddings, float threshold) {
  if (!(threshold >= -1.0f && threshold <= 1.0f))
    throw Error("dedup: the threshold is a cosine similarity in [-1, 1], got " + std::to_string(threshold),
                ErrorKind::kInvalidArgument);
  if (embeddings.rank() != 2 || embeddings.dim(1) < 1)
    throw Error("dedup: embeddings must be [N, D] with D >= 1, got " + embeddings.ShapeString(),
                ErrorKind::kInvalidArgument);
  Tensor x = embeddings.Clone();
  L2NormalizeRows(x);
  const int64_t n = x.dim(0), d = x.dim(1);
  DisjointSets sets(n);
  if (n > 1) {
    faiss::IndexFlatIP index(static_cast<int>(d));
    index.add(n, x.data());
    // FAISS keeps inner products strictly above the radius; step just below so ">= threshold" holds.
    const float radius = std::nextafter(threshold, -2.0f);
    constexpr int64_t kBlock = 1024;
    for (int64_t begin = 0; begin < n; begin += kBlock) {
      const int64_t rows = std::min(kBlock, n - begin);
      faiss::RangeSearchResult result(rows);
      index.range_search(rows, x.data() + begin * d, radius, &result);
      for (int64_t q = 0; q < rows; ++q)
        for (size_t j = result.lims[q]; j < result.lims[q + 1]; ++j) sets.Join(begin + q, result.labels[j]);
    }
  }
  std::map<int64_t, std::vector<int64_t>> groups;
  for (int64_t i = 0; i < n; ++i) groups[sets.Find(i)].push_back(i);
  std::vector<std::vector<int64_t>> out;
  for (auto& [root, members] : groups)
    if (members.size() >= 2) out.push_back(std::move(members));
  return out;
}

}  // namespace vit
