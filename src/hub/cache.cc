#include "hub/cache.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <system_error>

#include "hub/repo_id.h"
#include "vit/error.h"

namespace vit::hub {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxEtagLength = 128;
constexpr size_t kMaxFilenameLength = 1024;
constexpr size_t kMaxRefBytes = 256;

std::string UniqueSuffix() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return std::to_string(getpid()) + "." + std::to_string(random());
}

void CreateDirectories(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw Error("cannot create folder " + dir.string() + ": " + error.message(), ErrorKind::kIo);
}

void CheckCommit(const std::string& commit) {
  if (!IsCommitHash(commit))
    throw Error("'" + commit + "' is not a commit hash (40 lowercase hex digits)", ErrorKind::kInternal);
}

}  // namespace

bool IsSafeEtag(std::string_view etag) {
  if (etag.empty() || etag.size() > kMaxEtagLength || etag.front() == '.') return false;
  for (char c : etag) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void CheckRepoFilename(const std::string& filename) {
  bool ok = !filename.empty() && filename.size() <= kMaxFilenameLength && filename.front() != '/';
  for (char c : filename)
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20) ok = false;
  size_t start = 0;
  while (ok && start <= filename.size()) {
    size_t end = filename.find('/', start);
    if (end == std::string::npos) end = filename.size();
    const std::string_view part(filename.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") ok = false;
    start = end + 1;
  }
  if (!ok) {
    throw Error("'" + filename + "' is not a usable repository file name (expected a relative path without '..')",
                ErrorKind::kInvalidInput);
  }
}

RepoCache::RepoCache(fs::path cache_dir, const std::string& repo_id)
    : cache_dir_(fs::absolute(cache_dir)), repo_id_(repo_id) {
  if (!IsValidRepoId(repo_id)) throw Error("'" + repo_id + "' is not a hub id org/name", ErrorKind::kInvalidArgument);
  storage_ = cache_dir_ / RepoFolderName(repo_id);
}

fs::path RepoCache::BlobPath(const std::string& etag) const {
  if (!IsSafeEtag(etag)) throw Error("'" + etag + "' is not usable as a blob name", ErrorKind::kInternal);
  return storage_ / "blobs" / etag;
}

fs::path RepoCache::IncompletePath(const std::string& etag) const {
  fs::path path = BlobPath(etag);
  path += ".incomplete";
  return path;
}

fs::path RepoCache::LockPath(const std::string& etag) const {
  if (!IsSafeEtag(etag)) throw Error("'" + etag + "' is not usable as a lock name", ErrorKind::kInternal);
  return cache_dir_ / ".locks" / RepoFolderName(repo_id_) / (etag + ".lock");
}

fs::path RepoCache::SnapshotDir(const std::string& commit) const {
  CheckCommit(commit);
  return storage_ / "snapshots" / commit;
}

fs::path RepoCache::PointerPath(const std::string& commit, const std::string& filename) const {
  CheckRepoFilename(filename);
  return SnapshotDir(commit) / filename;
}

std::optional<std::string> RepoCache::CommitFor(const std::string& revision) const {
  if (IsCommitHash(revision)) return revision;
  if (!IsValidRevision(revision)) return std::nullopt;
  const fs::path ref = storage_ / "refs" / revision;
  std::error_code error;
  if (!fs::is_regular_file(ref, error)) return std::nullopt;
  std::ifstream in(ref, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kMaxRefBytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  // huggingface_hub writes the bare hash; a hand-edited ref may end in a newline.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (!IsCommitHash(text)) {
    throw Error(ref.string() + " holds '" + text.substr(0, 64) +
                    "', expected a 40-digit commit hash",
                ErrorKind::kInvalidInput);
  }
  return text;
}

void RepoCache::WriteRef(const std::string& revision, const std::string& commit) const {
  CheckCommit(commit);
  if (revision == commit) return;
  if (!IsValidRevision(revision)) throw Error("'" + revision + "' is not a revision name", ErrorKind::kInternal);
  // An unchanged ref is left alone: a read-only shared cache must keep working.
  std::optional<std::string> current;
  try {
    current = CommitFor(revision);
  } catch (const Error&) {
    current.reset();  // a damaged ref is rewritten below
  }
  if (current == commit) return;
  WriteFileAtomically(storage_ / "refs" / revision, commit);
}

void RepoCache::LinkPointer(const std::string& commit, const std::string& filename, const std::string& etag) const {
  const fs::path pointer = PointerPath(commit, filename);
  BlobPath(etag);  // checks the name
  // Relative, so the cache can be moved: one "../" per folder between snapshots/<commit>/ and the file.
  std::string target = "../../";
  for (char c : filename)
    if (c == '/') target += "../";
  target += "blobs/" + etag;

  CreateDirectories(pointer.parent_path());
  fs::path temporary = pointer;
  temporary += ".tmp." + UniqueSuffix();
  if (symlink(target.c_str(), temporary.c_str()) != 0) {
    throw Error("cannot create symlink " + temporary.string() + ": " + std::strerror(errno), ErrorKind::kIo);
  }
  if (std::rename(temporary.c_str(), pointer.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    throw Error("cannot create " + pointer.string() + ": " + std::strerror(saved), ErrorKind::kIo);
  }
}

bool RepoCache::IsMarkedMissing(const std::string& commit, const std::string& filename) const {
  CheckCommit(commit);
  CheckRepoFilename(filename);
  std::error_code error;
  return fs::is_regular_file(storage_ / ".no_exist" / commit / filename, error);
}

void RepoCache::MarkMissing(const std::string& commit, const std::string& filename) const {
  CheckCommit(commit);
  CheckRepoFilename(filename);
  const fs::path marker = storage_ / ".no_exist" / commit / filename;
  // Only a shortcut for later runs (as in huggingface_hub): failing to write it is not an error.
  std::error_code error;
  fs::create_directories(marker.parent_path(), error);
  if (!error) std::ofstream(marker, std::ios::binary | std::ios::app);
}

void WriteFileAtomically(const fs::path& path, const std::string& contents) {
  CreateDirectories(path.parent_path());
  fs::path temporary = path;
  temporary += ".tmp." + UniqueSuffix();
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << contents;
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      throw Error("cannot write " + temporary.string() + ": " + std::strerror(errno), ErrorKind::kIo);
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw Error("cannot write " + path.string() + ": " + std::strerror(saved), ErrorKind::kIo);
  }
}

}  // namespace vit::hub
