#include "hub/cache.h"

#include <gtest/gtest.h>

#include "hub/hub_testing.h"
#include "vit/error.h"

namespace vit::hub {
namespace {

namespace fs = std::filesystem;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";
const std::string kOtherCommit = "89abcdef0123456789abcdef0123456789abcdef";
const std::string kEtag = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(RepoCache, PathsFollowTheHuggingfaceHubLayout) {
  TestDir dir;
  RepoCache cache(dir.path(), "org/name");
  const fs::path storage = dir.path() / "models--org--name";
  EXPECT_EQ(cache.storage(), storage);
  EXPECT_EQ(cache.BlobPath(kEtag), storage / "blobs" / kEtag);
  EXPECT_EQ(cache.IncompletePath(kEtag), storage / "blobs" / (kEtag + ".incomplete"));
  EXPECT_EQ(cache.LockPath(kEtag), dir.path() / ".locks" / "models--org--name" / (kEtag + ".lock"));
  EXPECT_EQ(cache.PointerPath(kCommit, "config.json"), storage / "snapshots" / kCommit / "config.json");
}

TEST(RepoCache, RefsResolveBranchesAndCommitsResolveThemselves) {
  TestDir dir;
  RepoCache cache(dir.path(), "org/name");
  EXPECT_EQ(cache.CommitFor(kCommit), kCommit);
  EXPECT_FALSE(cache.CommitFor("main").has_value());
  cache.WriteRef("main", kCommit);
  cache.WriteRef("refs/pr/1", kOtherCommit);
  EXPECT_EQ(ReadText(cache.storage() / "refs" / "main"), kCommit);  // no newline, as huggingface_hub
  EXPECT_EQ(cache.CommitFor("main"), kCommit);
  EXPECT_EQ(cache.CommitFor("refs/pr/1"), kOtherCommit);
  cache.WriteRef(kCommit, kCommit);  // a commit needs no ref
  EXPECT_FALSE(fs::exists(cache.storage() / "refs" / kCommit));
  cache.WriteRef("main", kOtherCommit);
  EXPECT_EQ(cache.CommitFor("main"), kOtherCommit);
}

TEST(RepoCache, HandWrittenRefWithNewlineIsRead) {
  TestDir dir;
  RepoCache cache(dir.path(), "org/name");
  WriteText(cache.storage() / "refs" / "main", kCommit + "\n");
  EXPECT_EQ(cache.CommitFor("main"), kCommit);
  WriteText(cache.storage() / "refs" / "broken", "not a hash");
  EXPECT_THROW(cache.CommitFor("broken"), Error);
}

TEST(RepoCache, PointersAreRelativeSymlinksIntoBlobs) {
  TestDir dir;
  RepoCache cache(dir.path(), "org/name");
  WriteText(cache.BlobPath(kEtag), "weights");
  cache.LinkPointer(kCommit, "model.safetensors", kEtag);
  cache.LinkPointer(kCommit, "sub/model.safetensors", kEtag);
  const fs::path pointer = cache.PointerPath(kCommit, "model.safetensors");
  ASSERT_TRUE(fs::is_symlink(pointer));
  EXPECT_EQ(fs::read_symlink(pointer), fs::path("../../blobs") / kEtag);
  EXPECT_EQ(fs::read_symlink(cache.PointerPath(kCommit, "sub/model.safetensors")), fs::path("../../../blobs") / kEtag);
  EXPECT_EQ(ReadText(pointer), "weights");
  EXPECT_EQ(ReadText(cache.PointerPath(kCommit, "sub/model.safetensors")), "weights");
  // Relinking replaces the pointer in place, leaving no temporary behind.
  cache.LinkPointer(kCommit, "model.safetensors", kEtag);
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(cache.SnapshotDir(kCommit))) entries += entry.path().filename() != "sub";
  EXPECT_EQ(entries, 1);
}

TEST(RepoCache, MissingMarkers) {
  TestDir dir;
  RepoCache cache(dir.path(), "org/name");
  EXPECT_FALSE(cache.IsMarkedMissing(kCommit, "preprocessor_config.json"));
  cache.MarkMissing(kCommit, "preprocessor_config.json");
  EXPECT_TRUE(cache.IsMarkedMissing(kCommit, "preprocessor_config.json"));
  EXPECT_TRUE(fs::is_regular_file(cache.storage() / ".no_exist" / kCommit / "preprocessor_config.json"));
  EXPECT_FALSE(cache.IsMarkedMissing(kOtherCommit, "preprocessor_config.json"));
}

TEST(RepoCache, NamesFromTheNetworkCannotEscape) {
  TestDir dir;
  RepoCache cache(dir.path(), "org/name");
  for (const char* etag : {"", "../x", "a/b", ".hidden", "a b", "a\nb"}) {
    EXPECT_FALSE(IsSafeEtag(etag)) << etag;
    EXPECT_THROW(cache.BlobPath(etag), Error) << etag;
  }
  for (const char* name : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\b", "a/"}) {
    EXPECT_THROW(CheckRepoFilename(name), Error) << name;
  }
  EXPECT_NO_THROW(CheckRepoFilename("sub/model-00001-of-00002.safetensors"));
  EXPECT_THROW(cache.PointerPath("main", "config.json"), Error);  // snapshots are named by commit only
  EXPECT_THROW(RepoCache(dir.path(), "../escape"), Error);
}

}  // namespace
}  // namespace vit::hub
