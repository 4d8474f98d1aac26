#include "output_set.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "vit/error.h"

namespace vit::tool {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCommit = ".vit-commit";
constexpr const char* kStagingPrefix = ".vit-staging-";
constexpr const char* kLock = ".vit-lock";

[[noreturn]] void Fail(const fs::path& path, const std::string& what) {
  throw Error(path.string() + ": " + what + ": " + std::strerror(errno), ErrorKind::kIo);
}

// Data and metadata of a file or folder on disk before the next step relies on them.
void Sync(const fs::path& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(path, "cannot open to sync");
  if (fsync(fd) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    Fail(path, "cannot sync");
  }
  close(fd);
}

void Rename(const fs::path& from, const fs::path& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) Fail(to, "cannot rename " + from.string() + " to it");
}

nlohmann::json ReadManifest(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw Error(path.string() + ": not a JSON object; remove it to start the folder afresh",
                                  ErrorKind::kInvalidInput);
  return j;
}

std::vector<std::string> Names(const nlohmann::json& manifest, const char* field) {
  std::vector<std::string> names;
  if (!manifest.is_object() || !manifest.contains(field) || !manifest[field].is_array()) return names;
  for (const auto& n : manifest[field]) {
    // Plain names only: a manifest must never make us touch anything outside the folder.
    if (!n.is_string()) continue;
    const std::string name = n.get<std::string>();
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) continue;
    names.push_back(name);
  }
  return names;
}

void WriteManifest(const fs::path& path, const nlohmann::json& manifest) {
  const std::string text = manifest.dump(2) + "\n";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Fail(path, "cannot create");
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      close(fd);
      errno = saved;
      Fail(path, "cannot write");
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) Fail(path, "cannot write");
}

}  // namespace

void RecoverOutputSet(const fs::path& dir, const std::string& manifest) {
  const fs::path commit = dir / kCommit;
  std::error_code ec;
  if (fs::exists(commit, ec)) {
    const nlohmann::json m = ReadManifest(commit / manifest);
    if (m.is_object()) {
      for (const std::string& name : Names(m, "files"))
        if (fs::exists(commit / name, ec)) Rename(commit / name, dir / name);
      for (const std::string& name : Names(m, "removed"))
        if (unlink((dir / name).c_str()) != 0 && errno != ENOENT) Fail(dir / name, "cannot remove");
      Sync(dir);
      Rename(commit / manifest, dir / manifest);
      Sync(dir);
    }
    fs::remove_all(commit, ec);
    if (ec) throw Error(commit.string() + ": cannot remove: " + ec.message(), ErrorKind::kIo);
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().starts_with(kStagingPrefix)) fs::remove_all(it->path(), ec);
}

OutputSet::OutputSet(fs::path dir, std::string manifest, std::vector<std::string> earlier_names,
                     std::string earlier_marker)
    : dir_(std::move(dir)), manifest_(std::move(manifest)), earlier_names_(std::move(earlier_names)),
      earlier_marker_(std::move(earlier_marker)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error(dir_.string() + ": cannot create the output folder: " + ec.message(), ErrorKind::kIo);
  lock_fd_ = open((dir_ / kLock).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) Fail(dir_ / kLock, "cannot create the lock");
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd_);
    throw Error(dir_.string() + ": another run is writing this folder (" + kLock + " is locked)", ErrorKind::kIo);
  }
  RecoverOutputSet(dir_, manifest_);
  staging_ = dir_ / (kStagingPrefix + std::to_string(getpid()));
  fs::remove_all(staging_, ec);
  fs::create_directory(staging_, ec);
  if (ec) throw Error(staging_.string() + ": cannot create: " + ec.message(), ErrorKind::kIo);
}

OutputSet::~OutputSet() {
  std::error_code ec;
  if (!committed_) fs::remove_all(staging_, ec);
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

fs::path OutputSet::Stage(const std::string& name) {
  if (std::find(staged_.begin(), staged_.end(), name) == staged_.end()) staged_.push_back(name);
  return staging_ / name;
}

long long OutputSet::Generation(const fs::path& dir, const std::string& manifest) {
  const nlohmann::json m = ReadManifest(dir / manifest);
  if (!m.is_object() || !m.contains("generation") || !m["generation"].is_number_integer()) return 0;
  return m["generation"].get<long long>();
}

void OutputSet::Commit(nlohmann::json fields) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const std::string& name : staged_)
    if (fs::exists(staging_ / name, ec)) files.push_back(name);  // a staged part may have been folded away
  const std::set<std::string> keep(files.begin(), files.end());
  std::set<std::string> removed;
  for (const std::string& name : Names(ReadManifest(dir_ / manifest_), "files"))
    if (!keep.count(name)) removed.insert(name);
  if (fs::exists(dir_ / earlier_marker_, ec))
    for (const std::string& name : earlier_names_)
      if (!keep.count(name) && fs::exists(dir_ / name, ec)) removed.insert(name);
  fields["generation"] = Generation(dir_, manifest_) + 1;
  fields["files"] = files;
  fields["removed"] = std::vector<std::string>(removed.begin(), removed.end());
  for (const std::string& name : files) Sync(staging_ / name);
  WriteManifest(staging_ / manifest_, fields);
  Sync(staging_);
  Rename(staging_, dir_ / kCommit);
  committed_ = true;
  Sync(dir_);
  RecoverOutputSet(dir_, manifest_);
}

}  // namespace vit::tool
