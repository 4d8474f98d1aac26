#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <set>

#include "adapt/adapt_testing.h"
#include "vit/error.h"
#include "vit/index.h"

namespace vit {
namespace {

Tensor Gaussian(int64_t n, int64_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  Tensor t({n, d});
  for (float& v : t.values()) v = normal(rng);
  return t;
}

std::vector<std::string> Names(int64_t n, const std::string& prefix = "img") {
  std::vector<std::string> names;
  for (int64_t i = 0; i < n; ++i) names.push_back(prefix + std::to_string(i) + ".png");
  return names;
}

// Brute-force cosine neighbours, best first.
std::vector<int64_t> BruteForce(const Tensor& base, const float* query, int k) {
  const int64_t n = base.dim(0), d = base.dim(1);
  std::vector<double> score(static_cast<size_t>(n));
  double qn = 0.0;
  for (int64_t j = 0; j < d; ++j) qn += double{query[j]} * query[j];
  for (int64_t i = 0; i < n; ++i) {
    double dot = 0.0, bn = 0.0;
    for (int64_t j = 0; j < d; ++j) {
      dot += double{base.data()[i * d + j]} * query[j];
      bn += double{base.data()[i * d + j]} * base.data()[i * d + j];
    }
    score[static_cast<size_t>(i)] = dot / std::sqrt(bn * qn);
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int64_t a, int64_t b) { return score[static_cast<size_t>(a)] > score[static_cast<size_t>(b)]; });
  order.resize(static_cast<size_t>(k));
  return order;
}

TEST(EmbeddingIndex, FlatSearchIsExact) {
  const Tensor base = Gaussian(500, 32, 1), queries = Gaussian(20, 32, 2);
  const EmbeddingIndex index = EmbeddingIndex::Build(base, Names(500), {"m", "cls"});
  EXPECT_EQ(index.kind(), IndexKind::kFlat);
  const auto found = index.Search(queries, 10);
  for (int64_t q = 0; q < 20; ++q) {
    const auto expected = BruteForce(base, queries.data() + q * 32, 10);
    ASSERT_EQ(found[static_cast<size_t>(q)].size(), 10u);
    for (size_t j = 0; j < 10; ++j) {
      EXPECT_EQ(found[static_cast<size_t>(q)][j].id, expected[j]);
      EXPECT_EQ(found[static_cast<size_t>(q)][j].path, "img" + std::to_string(expected[j]) + ".png");
    }
  }
  // A stored vector finds itself with cosine 1.
  const auto self = index.Search(base.Rows(7, 8), 1);
  EXPECT_EQ(self[0][0].id, 7);
  EXPECT_NEAR(self[0][0].score, 1.0f, 1e-5);
  EXPECT_EQ(index.Search(queries.Rows(0, 1), 1000)[0].size(), 500u) << "k beyond the size returns all";
}

double Recall(const EmbeddingIndex& index, const Tensor& base, const Tensor& queries, int k) {
  const auto found = index.Search(queries, k);
  int64_t hits = 0;
  for (int64_t q = 0; q < queries.dim(0); ++q) {
    const auto truth = BruteForce(base, queries.data() + q * base.dim(1), k);
    const std::set<int64_t> t(truth.begin(), truth.end());
    for (const Neighbor& nb : found[static_cast<size_t>(q)]) hits += t.count(nb.id);
  }
  return static_cast<double>(hits) / static_cast<double>(queries.dim(0) * k);
}

// Vectors around 100 fixed centres (the same for every noise_seed), like embeddings of related images.
Tensor Clustered(int64_t n, int64_t d, uint64_t noise_seed) {
  const Tensor centres = Gaussian(100, d, 3);
  Tensor t = Gaussian(n, d, noise_seed);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) t.data()[i * d + j] = centres.data()[(i % 100) * d + j] + t.data()[i * d + j];
  return t;
}

TEST(EmbeddingIndex, ApproximateIndexesRecallAtLeast95Percent) {
  const Tensor base = Clustered(10000, 64, 4), queries = Clustered(200, 64, 5);
  for (IndexKind kind : {IndexKind::kHnsw, IndexKind::kIvf}) {
    IndexOptions options;
    options.kind = kind;
    const EmbeddingIndex index = EmbeddingIndex::Build(base, Names(10000), {"m", "cls"}, options);
    const double recall = Recall(index, base, queries, 10);
    std::printf("recall@10 %s: %.4f\n", IndexKindName(kind), recall);
    EXPECT_GE(recall, 0.95) << IndexKindName(kind);
  }
  IndexOptions automatic;
  automatic.flat_limit = 5000;
  EXPECT_EQ(EmbeddingIndex::Build(base, Names(10000), {"m", "cls"}, automatic).kind(), IndexKind::kHnsw);
}

TEST(EmbeddingIndex, SavesLoadsAndAdds) {
  const auto dir = adapt::testing_util::FreshDir("index");
  const Tensor base = Gaussian(300, 16, 4), more = Gaussian(50, 16, 5);
  for (IndexKind kind : {IndexKind::kFlat, IndexKind::kHnsw, IndexKind::kIvf}) {
    IndexOptions options;
    options.kind = kind;
    EmbeddingIndex built = EmbeddingIndex::Build(base, Names(300), {"org/model", "mean"}, options);
    built.Save(dir);
    EmbeddingIndex loaded = EmbeddingIndex::Load(dir);
    EXPECT_EQ(loaded.kind(), kind);
    EXPECT_EQ(loaded.size(), 300);
    EXPECT_EQ(loaded.metadata().model, "org/model");
    EXPECT_EQ(loaded.metadata().features, "mean");
    const auto a = built.Search(base.Rows(0, 5), 3), b = loaded.Search(base.Rows(0, 5), 3);
    for (size_t q = 0; q < 5; ++q)
      for (size_t j = 0; j < 3; ++j) EXPECT_EQ(a[q][j].id, b[q][j].id);
    loaded.Add(more, Names(50, "more"));
    loaded.Save(dir);
    const EmbeddingIndex grown = EmbeddingIndex::Load(dir);
    EXPECT_EQ(grown.size(), 350);
    const auto hit = grown.Search(more.Rows(10, 11), 1);
    EXPECT_EQ(hit[0][0].id, 310);
    EXPECT_EQ(hit[0][0].path, "more10.png");
  }
}

TEST(EmbeddingIndex, RejectsDamagedFilesAndWrongWidths) {
  const auto dir = adapt::testing_util::FreshDir("index");
  EmbeddingIndex index = EmbeddingIndex::Build(Gaussian(100, 8, 6), Names(100), {"m", "cls"});
  EXPECT_THROW(index.Add(Gaussian(2, 9, 7), Names(2)), Error);
  EXPECT_THROW(index.Add(Gaussian(2, 8, 7), Names(3)), Error);
  EXPECT_THROW(index.Search(Gaussian(1, 9, 7), 3), Error);
  EXPECT_THROW(index.Add(Gaussian(1, 8, 7), {"bad\nname"}), Error);
  index.Save(dir);

  const auto faiss_file = dir / "index.faiss";
  {
    std::fstream f(faiss_file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  }
  try {
    EmbeddingIndex::Load(dir);
    FAIL() << "a flipped byte must be detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("index.faiss: damaged"), std::string::npos) << e.what();
  }
  index.Save(dir);
  std::filesystem::resize_file(faiss_file, 100);
  EXPECT_THROW(EmbeddingIndex::Load(dir), Error);
  index.Save(dir);
  { std::ofstream(dir / "paths.txt", std::ios::app) << "extra.png\n"; }
  EXPECT_THROW(EmbeddingIndex::Load(dir), Error);
  index.Save(dir);
  { std::ofstream(dir / "index.json", std::ios::trunc) << "{\"format\": 3"; }
  EXPECT_THROW(EmbeddingIndex::Load(dir), Error);
  EXPECT_THROW(EmbeddingIndex::Load(dir / "missing"), Error);
}

TEST(FindNearDuplicates, GroupsTransitivelyAboveTheThreshold) {
  Tensor x = Gaussian(6, 16, 8);
  // Row 3 a near copy of row 0, row 5 a near copy of row 3 (a chain), row 4 a scaled copy of row 1.
  for (int j = 0; j < 16; ++j) {
    x.data()[3 * 16 + j] = x.data()[0 * 16 + j] + 0.01f * static_cast<float>(j % 2);
    x.data()[5 * 16 + j] = x.data()[3 * 16 + j] - 0.01f * static_cast<float>(j % 3);
    x.data()[4 * 16 + j] = 3.0f * x.data()[1 * 16 + j];
  }
  const auto groups = FindNearDuplicates(x, 0.99f);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], (std::vector<int64_t>{0, 3, 5}));
  EXPECT_EQ(groups[1], (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(FindNearDuplicates(x.Rows(0, 3), 0.99f).size(), 0u);
  EXPECT_THROW(FindNearDuplicates(x, 1.5f), Error);
}

}  // namespace
}  // namespace vit
