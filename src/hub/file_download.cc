#include "hub/file_download.h"

#include <system_error>

#include "hub/blob_fetch.h"
#include "hub/file_metadata.h"
#include "hub/repo_id.h"

namespace vit::hub {
namespace {

bool Exists(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::exists(path, error);  // follows the symlink: a dangling pointer is missing
}

}  // namespace

std::optional<CachedFile> DownloadFile(HubSession& session, const std::string& revision, const std::string& filename) {
  const RepoCache& cache = session.cache;
  if (IsCommitHash(revision)) {
    // A commit never changes: what its snapshot holds (or lacks) is final.
    const auto pointer = cache.PointerPath(revision, filename);
    if (Exists(pointer)) return CachedFile{pointer, revision};
    if (cache.IsMarkedMissing(revision, filename)) return std::nullopt;
  }

  std::string missing_in_commit;
  const std::optional<FileMetadata> metadata = FetchFileMetadata(session, revision, filename, &missing_in_commit);
  if (!metadata) {
    if (!missing_in_commit.empty()) {
      cache.MarkMissing(missing_in_commit, filename);
      cache.WriteRef(revision, missing_in_commit);
    }
    return std::nullopt;
  }

  cache.WriteRef(revision, metadata->commit);
  const auto pointer = cache.PointerPath(metadata->commit, filename);
  if (Exists(pointer)) return CachedFile{pointer, metadata->commit};
  FetchBlob(session, BlobRequest{filename, metadata->download_url, metadata->etag, metadata->size});
  cache.LinkPointer(metadata->commit, filename, metadata->etag);
  return CachedFile{pointer, metadata->commit};
}

}  // namespace vit::hub
