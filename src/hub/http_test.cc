#include "hub/http.h"

#include <gtest/gtest.h>

#include "hub/file_metadata.h"

namespace vit::hub {
namespace {

TEST(Http, OriginsIncludeSchemeHostAndPort) {
  EXPECT_EQ(UrlOrigin("https://huggingface.co/org/name/resolve/main/x"), "https://huggingface.co:443");
  EXPECT_EQ(UrlOrigin("HTTP://127.0.0.1:8080/a"), "http://127.0.0.1:8080");
  EXPECT_NE(UrlOrigin("http://127.0.0.1:8080/a"), UrlOrigin("http://127.0.0.1:8081/a"));
  EXPECT_NE(UrlOrigin("https://huggingface.co/a"), UrlOrigin("https://cdn-lfs.huggingface.co/a"));
}

TEST(Http, ResolveUrlEncodesTheRevisionAsOneSegment) {
  EXPECT_EQ(ResolveUrl("https://huggingface.co", "org/name", "refs/pr/1", "sub dir/model.safetensors"),
            "https://huggingface.co/org/name/resolve/refs%2Fpr%2F1/sub%20dir/model.safetensors");
}

TEST(Http, EtagNormalisation) {
  EXPECT_EQ(NormalizeEtag("\"abc123\""), "abc123");
  EXPECT_EQ(NormalizeEtag("W/\"abc123\""), "abc123");
  EXPECT_EQ(NormalizeEtag("abc123"), "abc123");
}

}  // namespace
}  // namespace vit::hub
