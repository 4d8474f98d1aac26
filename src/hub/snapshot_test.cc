#include "hub/snapshot.h"

#include <gtest/gtest.h>

#include "hub/hub_testing.h"
#include "vit/error.h"

namespace vit::hub {
namespace {

namespace fs = std::filesystem;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";

// Lays out one file of a snapshot as huggingface_hub does: a blob and a relative symlink to it.
void AddFile(const RepoCache& cache, const std::string& filename, const std::string& contents) {
  const std::string etag = "etag" + std::to_string(std::hash<std::string>{}(filename));
  WriteText(cache.BlobPath(etag), contents);
  cache.LinkPointer(kCommit, filename, etag);
}

std::string MessageOf(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FindCachedSnapshot, UsesRefsAndPrefersSafetensors) {
  TestDir dir;
  RepoCache cache(dir.path(), "org/name");
  cache.WriteRef("main", kCommit);
  AddFile(cache, "config.json", "{}");
  AddFile(cache, "pytorch_model.bin", "pt");
  EXPECT_EQ(FindCachedSnapshot(cache, "main", "offline"), cache.SnapshotDir(kCommit));
  EXPECT_EQ(FindCachedSnapshot(cache, kCommit, "offline"), cache.SnapshotDir(kCommit));
  AddFile(cache, "model.safetensors", "st");
  EXPECT_EQ(FindCachedSnapshot(cache, "main", "offline"), cache.SnapshotDir(kCommit));
}

TEST(FindCachedSnapshot, NamesWhatIsMissing) {
  TestDir dir;
  RepoCache cache(dir.path(), "org/name");
  std::string message = MessageOf([&] { FindCachedSnapshot(cache, "main", "offline mode"); });
  EXPECT_NE(message.find("offline mode"), std::string::npos) << message;
  EXPECT_NE(message.find("org/name@main"), std::string::npos) << message;

  cache.WriteRef("main", kCommit);
  message = MessageOf([&] { FindCachedSnapshot(cache, "main", "offline mode"); });
  EXPECT_NE(message.find("config.json"), std::string::npos) << message;

  AddFile(cache, "config.json", "{}");
  message = MessageOf([&] { FindCachedSnapshot(cache, "main", "offline mode"); });
  EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;

  AddFile(cache, "model.safetensors.index.json",
          R"({"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                                              "b": "model-00002-of-00002.safetensors"}})");
  AddFile(cache, "model-00001-of-00002.safetensors", "1");
  message = MessageOf([&] { FindCachedSnapshot(cache, "main", "offline mode"); });
  EXPECT_NE(message.find("model-00002-of-00002.safetensors"), std::string::npos) << message;
  AddFile(cache, "model-00002-of-00002.safetensors", "2");
  EXPECT_EQ(FindCachedSnapshot(cache, "main", "offline mode"), cache.SnapshotDir(kCommit));
}

TEST(ShardFilesOfIndex, ListsEachShardOnceInOrder) {
  TestDir dir;
  WriteText(dir.path() / "index.json",
            R"({"weight_map": {"x": "b.safetensors", "y": "a.safetensors", "z": "b.safetensors"}})");
  EXPECT_EQ(ShardFilesOfIndex(dir.path() / "index.json"), (std::vector<std::string>{"b.safetensors", "a.safetensors"}));
}

TEST(ShardFilesOfIndex, RejectsHostileIndexes) {
  TestDir dir;
  for (const char* index : {R"({"weight_map": {"x": "../../etc/passwd"}})", R"({"weight_map": {"x": "sub/a.bin"}})",
                            R"({"weight_map": {"x": 3}})", R"({"weight_map": {}})", R"({"weights": {}})", R"([1])",
                            R"({"weight_map": {"x": ".."}})", R"({"weight_map": {"x": "a", "x": "b"}})", "{"}) {
    WriteText(dir.path() / "index.json", index);
    EXPECT_THROW(ShardFilesOfIndex(dir.path() / "index.json"), Error) << index;
  }
}

}  // namespace
}  // namespace vit::hub
