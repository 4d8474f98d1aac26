#include "vit/extract.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "image/image_testing.h"
#include "io/io_testing.h"
#include "io/safetensors.h"
#include "model/model_testing.h"
#include "vit/error.h"

namespace vit {
namespace {

using image::testing::EncodePng;
using image::testing::RandomBytes;

// A tiny checkpoint folder: ViTModel with a pooler, or ViTForImageClassification (no pooler, 3 labels).
std::filesystem::path WriteTinyModel(const std::filesystem::path& dir, bool classifier) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.json") << R"({"hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
      "intermediate_size": 16, "image_size": 8, "patch_size": 4)"
                                     << (classifier ? R"(, "id2label": {"0": "a", "1": "b", "2": "c"}})" : "}");
  std::ofstream(dir / "preprocessor_config.json") << R"({"size": {"height": 8, "width": 8}})";
  const model::MemorySource source =
      model::TinyCheckpoint(classifier ? "vit." : "", /*pooler=*/!classifier, classifier ? 3 : 0, /*varied=*/true);
  io::WriteSafetensors(dir / "model.safetensors", source.tensors());
  return dir;
}

std::vector<uint8_t> Png(uint32_t seed, int width = 12, int height = 10) {
  return EncodePng(width, height, PNG_COLOR_TYPE_RGB, 8, RandomBytes(static_cast<size_t>(width * height * 3), seed));
}

class ExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = Model::Load(WriteTinyModel(tmp_.path() / "tiny", false).string());
    for (uint32_t i = 0; i < 5; ++i) encoded_.push_back(Png(i));
    for (size_t i = 0; i < encoded_.size(); ++i)
      inputs_.push_back(ExtractInput::Encoded(encoded_[i], "image" + std::to_string(i) + ".png"));
  }

  io::testing::TempDir tmp_;
  std::unique_ptr<Model> model_;
  std::vector<std::vector<uint8_t>> encoded_;
  std::vector<ExtractInput> inputs_;
};

std::vector<float> Row(const Tensor& t, int64_t r) {
  const int64_t w = t.numel() / t.dim(0);
  return {t.data() + r * w, t.data() + (r + 1) * w};
}

TEST_F(ExtractTest, RowsEqualModelRunOnTheDecodedImagesBatchByBatch) {
  std::vector<Image> images;
  for (size_t i = 0; i < encoded_.size(); ++i) images.push_back(DecodeImage(encoded_[i], inputs_[i].name));
  const ModelOutput reference = model_->Run(images);
  ExtractOptions options;
  options.batch_size = 2;
  std::vector<size_t> batch_sizes, indices;
  std::vector<std::string> names;
  const ExtractSummary summary = Extract(
      *model_, inputs_,
      [&](ExtractedBatch& batch) {
        batch_sizes.push_back(batch.indices.size());
        for (size_t r = 0; r < batch.indices.size(); ++r) {
          const size_t i = batch.indices[r];
          EXPECT_EQ(Row(batch.embeddings, static_cast<int64_t>(r)), Row(reference.pooler_output, static_cast<int64_t>(i)));
          EXPECT_EQ(Row(batch.output.last_hidden_state, static_cast<int64_t>(r)),
                    Row(reference.last_hidden_state, static_cast<int64_t>(i)));
          indices.push_back(i);
          names.push_back(batch.names[r]);
        }
      },
      options);
  EXPECT_EQ(batch_sizes, (std::vector<size_t>{2, 2, 1}));
  EXPECT_EQ(indices, (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(names[3], "image3.png");
  EXPECT_EQ(summary.rows, 5u);
  EXPECT_EQ(summary.pooling, Pooling::kPooler);  // the default with a pooler
  EXPECT_FALSE(summary.cancelled);
}

TEST_F(ExtractTest, FilesDecodedImagesAndEncodedBytesGiveTheSameRows) {
  std::vector<ExtractInput> files;
  std::vector<Image> images;
  for (size_t i = 0; i < encoded_.size(); ++i) {
    const auto path = tmp_.path() / ("f" + std::to_string(i) + ".png");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(encoded_[i].data()),
                                                static_cast<std::streamsize>(encoded_[i].size()));
    files.push_back(ExtractInput::File(path));
    images.push_back(DecodeImage(encoded_[i]));
  }
  std::vector<ExtractInput> decoded;
  for (const Image& image : images) decoded.push_back(ExtractInput::Decoded(image, "decoded"));
  ExtractOptions options;
  options.pooling = Pooling::kMean;
  const Embeddings a = ExtractEmbeddings(*model_, inputs_, options);
  const Embeddings b = ExtractEmbeddings(*model_, files, options);
  const Embeddings c = ExtractEmbeddings(*model_, decoded, options);
  ASSERT_EQ(a.vectors.shape(), (std::vector<int64_t>{5, 8}));
  for (int64_t r = 0; r < 5; ++r) {
    EXPECT_EQ(Row(a.vectors, r), Row(b.vectors, r));
    EXPECT_EQ(Row(a.vectors, r), Row(c.vectors, r));
  }
}

TEST_F(ExtractTest, ProgressComesAfterTheModelHasRunTheBatch) {
  ExtractOptions options;
  options.batch_size = 2;
  size_t delivered = 0;
  std::vector<size_t> done;
  options.progress = [&](const ExtractProgress& p) {
    // Every input counted as done has been run and handed on (or skipped): never one still to run.
    EXPECT_EQ(delivered + p.skipped, p.done);
    EXPECT_EQ(p.total, 5u);
    EXPECT_GE(p.elapsed_seconds, 0.0);
    done.push_back(p.done);
  };
  Extract(*model_, inputs_, [&](ExtractedBatch& batch) { delivered += batch.indices.size(); }, options);
  EXPECT_EQ(done, (std::vector<size_t>{2, 4, 5}));
}

TEST_F(ExtractTest, BadInputStopsNamingItOrIsSkipped) {
  const std::vector<uint8_t> garbage = RandomBytes(64, 9);
  inputs_.insert(inputs_.begin() + 2, ExtractInput::Encoded(garbage, "broken.png"));
  try {
    Extract(*model_, inputs_, [](ExtractedBatch&) {});
    FAIL() << "a bad input must stop the job without skip_invalid";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.png"), std::string::npos) << e.what();
  }
  ExtractOptions options;
  options.skip_invalid = true;
  const Embeddings out = ExtractEmbeddings(*model_, inputs_, options);
  ASSERT_EQ(out.summary.skipped.size(), 1u);
  EXPECT_EQ(out.summary.skipped[0].index, 2u);
  EXPECT_NE(out.summary.skipped[0].reason.find("broken.png"), std::string::npos);
  EXPECT_EQ(out.indices, (std::vector<size_t>{0, 1, 3, 4, 5}));
}

TEST_F(ExtractTest, CancelledBetweenBatches) {
  ExtractOptions options;
  options.batch_size = 2;
  int asked = 0;
  options.cancelled = [&] { return ++asked > 1; };
  const Embeddings out = ExtractEmbeddings(*model_, inputs_, options);
  EXPECT_TRUE(out.summary.cancelled);
  EXPECT_EQ(out.indices, (std::vector<size_t>{0, 1}));
}

TEST_F(ExtractTest, NormalizeGivesUnitRows) {
  ExtractOptions options;
  options.normalize = true;
  const Embeddings out = ExtractEmbeddings(*model_, inputs_, options);
  for (int64_t r = 0; r < out.vectors.dim(0); ++r) {
    double sum = 0;
    for (float v : Row(out.vectors, r)) sum += double{v} * v;
    EXPECT_NEAR(std::sqrt(sum), 1.0, 1e-6);
  }
}

TEST_F(ExtractTest, AClassifierCheckpointDefaultsToClsAndRefusesPooler) {
  auto classifier = Model::Load(WriteTinyModel(tmp_.path() / "classifier", true).string());
  const Embeddings out = ExtractEmbeddings(*classifier, inputs_);
  EXPECT_EQ(out.summary.pooling, Pooling::kCls);
  std::vector<Image> images;
  for (const auto& e : encoded_) images.push_back(DecodeImage(e));
  const Tensor cls = ClsTokens(classifier->Run(images).last_hidden_state);
  for (int64_t r = 0; r < 5; ++r) EXPECT_EQ(Row(out.vectors, r), Row(cls, r));
  ExtractOptions pooler;
  pooler.pooling = Pooling::kPooler;
  try {
    ExtractEmbeddings(*classifier, inputs_, pooler);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("no pooler"), std::string::npos);
  }
}

}  // namespace
}  // namespace vit
