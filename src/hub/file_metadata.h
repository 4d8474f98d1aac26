// The hub's answer to HEAD {endpoint}/{repo}/resolve/{revision}/{file}, read as huggingface_hub's
// get_hf_file_metadata reads it: X-Repo-Commit, X-Linked-Etag or ETag, X-Linked-Size or
// Content-Length, and the Location of a redirect to the CDN (LFS files). Relative redirects (a
// renamed repository) are followed; others are where the bytes will be fetched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hub/http.h"
#include "hub/session.h"

namespace vit::hub {

struct FileMetadata {
  std::string commit;        // the commit the revision resolved to
  std::string etag;          // git sha1 of a regular file, sha256 of an LFS file
  int64_t size = 0;          // bytes of the file itself (not of an LFS pointer)
  std::string download_url;  // the CDN location for LFS files, else the resolve URL
};

std::string ResolveUrl(const std::string& endpoint, const std::string& repo_id, const std::string& revision,
                       const std::string& filename);

// W/"abc" and "abc" both become abc (huggingface_hub's _normalize_etag).
std::string NormalizeEtag(const std::string& etag);

// nullopt when the revision exists but has no such file (404 EntryNotFound); `*missing_in_commit`
// then gets the commit the hub named, if it named one. Every other failure throws vit::Error:
// kUnauthorized (401/403: private, gated or unknown repo), kNotFound (unknown repo or revision),
// HubUnreachable (network, 429, 5xx), kIo (an answer that is not a hub's).
std::optional<FileMetadata> FetchFileMetadata(HubSession& session, const std::string& revision,
                                              const std::string& filename, std::string* missing_in_commit);

// Turns a failed answer about the repository into the error a user can act on.
[[noreturn]] void ThrowForHubStatus(const HttpResponse& response, const HubSession& session,
                                    const std::string& revision, const std::string& filename);

}  // namespace vit::hub
