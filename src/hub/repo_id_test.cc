#include "hub/repo_id.h"

#include <gtest/gtest.h>

#include "vit/error.h"

namespace vit::hub {
namespace {

TEST(ParseHubModelId, DefaultsToMain) {
  const HubModelId id = ParseHubModelId("google/vit-large-patch16-224-in21k");
  EXPECT_EQ(id.repo_id, "google/vit-large-patch16-224-in21k");
  EXPECT_EQ(id.revision, "main");
}

TEST(ParseHubModelId, RevisionFromIdOrOption) {
  EXPECT_EQ(ParseHubModelId("org/name@v1.0").revision, "v1.0");
  EXPECT_EQ(ParseHubModelId("org/name", "refs/pr/1").revision, "refs/pr/1");
  EXPECT_EQ(ParseHubModelId("org/name@dev", "dev").revision, "dev");
  EXPECT_EQ(ParseHubModelId("org/name@0123456789abcdef0123456789abcdef01234567").revision,
            "0123456789abcdef0123456789abcdef01234567");
}

TEST(ParseHubModelId, ConflictingRevisionsAreRejected) {
  try {
    ParseHubModelId("org/name@dev", "main");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("--revision"), std::string::npos) << e.what();
  }
}

TEST(ParseHubModelId, MalformedIdsAreRejected) {
  for (const char* bad : {"", "name", "/abs/path", "org/", "/name", "a/b/c", "org/na me", "org--x/name", "org/..",
                          "../x", "org/-name", "org/name.", "org/name@", "org/name@../x", "org/name@a//b",
                          "org/name@/main", "org/name@a b"}) {
    EXPECT_THROW(ParseHubModelId(bad), Error) << bad;
  }
  EXPECT_THROW(ParseHubModelId(std::string(60, 'a') + "/" + std::string(40, 'b')), Error);
}

TEST(RepoId, CommitHashes) {
  EXPECT_TRUE(IsCommitHash("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(IsCommitHash("0123456789ABCDEF0123456789abcdef01234567"));
  EXPECT_FALSE(IsCommitHash("0123456"));
  EXPECT_FALSE(IsCommitHash("main"));
}

TEST(RepoId, FolderNameAsHuggingfaceHub) {
  EXPECT_EQ(RepoFolderName("google/vit-base-patch16-224"), "models--google--vit-base-patch16-224");
}

}  // namespace
}  // namespace vit::hub
