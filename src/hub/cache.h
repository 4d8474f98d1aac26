// One repository's folder in the huggingface_hub cache, laid out exactly as huggingface_hub lays it:
//   models--org--name/blobs/<etag>                 file contents, named by git sha1 or LFS sha256
//   models--org--name/refs/<revision>              the commit a branch or tag pointed to, no newline
//   models--org--name/snapshots/<commit>/<file>    relative symlink to ../../blobs/<etag>
//   models--org--name/.no_exist/<commit>/<file>    empty marker: the file is not in that commit
//   .locks/models--org--name/<etag>.lock           flock()ed while a blob is written
// Every name that comes from the network or a user is checked before it becomes a path.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace vit::hub {

// An ETag usable as a blob file name (hex digests in practice; never a path).
bool IsSafeEtag(std::string_view etag);
// A repository file name: relative, '/'-separated parts, none empty, "." or "..". Throws vit::Error.
void CheckRepoFilename(const std::string& filename);

class RepoCache {
 public:
  RepoCache(std::filesystem::path cache_dir, const std::string& repo_id);

  const std::string& repo_id() const { return repo_id_; }
  const std::filesystem::path& storage() const { return storage_; }

  std::filesystem::path BlobPath(const std::string& etag) const;
  std::filesystem::path IncompletePath(const std::string& etag) const;
  std::filesystem::path LockPath(const std::string& etag) const;
  std::filesystem::path SnapshotDir(const std::string& commit) const;
  std::filesystem::path PointerPath(const std::string& commit, const std::string& filename) const;

  // The commit of a branch or tag as refs/ remembers it; a full commit hash is its own answer.
  std::optional<std::string> CommitFor(const std::string& revision) const;
  // Remembers revision -> commit; does nothing for a commit hash or an unchanged ref (as huggingface_hub).
  void WriteRef(const std::string& revision, const std::string& commit) const;

  // snapshots/<commit>/<filename> -> ../../blobs/<etag>, replaced atomically if it exists.
  void LinkPointer(const std::string& commit, const std::string& filename, const std::string& etag) const;

  bool IsMarkedMissing(const std::string& commit, const std::string& filename) const;
  void MarkMissing(const std::string& commit, const std::string& filename) const;

 private:
  std::filesystem::path cache_dir_;
  std::string repo_id_;
  std::filesystem::path storage_;
};

// Writes `contents` to `path` through a temporary file and rename(), so readers see all or nothing.
void WriteFileAtomically(const std::filesystem::path& path, const std::string& contents);

}  // namespace vit::hub
