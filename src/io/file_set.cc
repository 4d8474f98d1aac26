#include "io/file_set.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "vit/error.h"

namespace vit::io {
namespace fs = std::filesystem;
namespace {

constexpr const char* kLock = ".vit-lock";
constexpr const char* kCommit = ".vit-commit";
constexpr const char* kInPlaceStaging = ".vit-staging-";
constexpr const char* kJournal = ".vit-journal";
constexpr const char* kReserved = ".vit-";  // names of the mechanism's own files

[[noreturn]] void Fail(const std::string& what, const fs::path& path, int err) {
  throw Error("cannot " + what + " " + path.string() + ": " + std::strerror(err), ErrorKind::kIo);
}

// Data and metadata of a file or folder on disk before the next step relies on them.
void Sync(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail("open", path, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) Fail("sync", path, err);
}

void Rename(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) Fail("replace", to, errno);
}

void WriteWhole(const fs::path& path, const fs::path& shown, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) Fail("create", shown, errno);
  size_t done = 0;
  int err = 0;
  while (done < bytes.size() && err == 0) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) Fail("write", shown, err);
}

// null when `path` does not exist.
nlohmann::json ReadJson(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw Error(path.string() + ": not a JSON object; remove it to start the folder afresh",
                                  ErrorKind::kInvalidInput);
  return j;
}

bool IsPlainName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

std::vector<std::string> Names(const nlohmann::json& j, const char* field) {
  std::vector<std::string> names;
  if (!j.is_object() || !j.contains(field) || !j[field].is_array()) return names;
  for (const auto& n : j[field]) {
    // Plain names only: a journal or manifest must never make us touch anything outside the folder.
    if (n.is_string() && IsPlainName(n.get<std::string>())) names.push_back(n.get<std::string>());
  }
  return names;
}

// The pid in a staging name ".NAME.staging-PID-N" (or its ".old" twin), or 0 when `entry` is not one of
// `name`'s staging folders.
pid_t StagingOwner(const std::string& entry, const std::string& name) {
  const std::string prefix = "." + name + ".staging-";
  if (!entry.starts_with(prefix)) return 0;
  const std::string rest = entry.substr(prefix.size());
  const size_t dash = rest.find('-');
  if (dash == 0 || dash == std::string::npos) return 0;
  pid_t pid = 0;
  for (size_t i = 0; i < dash; ++i) {
    if (rest[i] < '0' || rest[i] > '9' || pid > 1000000000) return 0;
    pid = pid * 10 + (rest[i] - '0');
  }
  return pid;
}

// Staging folders that a killed writer left beside `dir`. Only those whose process is gone: a live one
// may be a writer's set in progress (one that took no lock).
void RemoveAbandonedStaging(const fs::path& parent, const std::string& name) {
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const pid_t pid = StagingOwner(it->path().filename().string(), name);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

fs::path ParentOf(const fs::path& dir) { return dir.has_parent_path() ? dir.parent_path() : fs::path("."); }

}  // namespace

void RecoverFileSet(const fs::path& dir, const std::string& manifest) {
  const fs::path commit = dir / kCommit;
  std::error_code ec;
  if (fs::exists(commit, ec)) {
    nlohmann::json journal = ReadJson(commit / kJournal);
    std::vector<std::string> files = Names(journal, "files");
    if (journal.is_null() && !manifest.empty()) {  // a writer before journals: its manifest says the same
      journal = ReadJson(commit / manifest);
      files = Names(journal, "files");
      if (journal.is_object()) files.push_back(manifest);
    }
    if (!files.empty()) {
      for (size_t i = 0; i + 1 < files.size(); ++i)
        if (fs::exists(commit / files[i], ec)) Rename(commit / files[i], dir / files[i]);
      for (const std::string& name : Names(journal, "removed"))
        if (::unlink((dir / name).c_str()) != 0 && errno != ENOENT) Fail("remove", dir / name, errno);
      Sync(dir);
      if (fs::exists(commit / files.back(), ec)) Rename(commit / files.back(), dir / files.back());
      Sync(dir);
    }
    fs::remove_all(commit, ec);
    if (ec) throw Error("cannot remove " + commit.string() + ": " + ec.message(), ErrorKind::kIo);
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->path().filename().string().starts_with(kInPlaceStaging)) continue;
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

FileSet::FileSet(const fs::path& dir, FileSetOptions options) : options_(std::move(options)) {
  std::error_code ec;
  dir_ = dir.lexically_normal();
  if (!dir_.has_filename() && dir_.has_parent_path()) dir_ = dir_.parent_path();  // "out/"
  if (dir_.empty() || dir_.filename() == "." || dir_.filename() == "..") {
    dir_ = fs::absolute(dir_.empty() ? fs::path(".") : dir_, ec).lexically_normal();
    if (!dir_.has_filename() && dir_.has_parent_path() && dir_ != dir_.root_path()) dir_ = dir_.parent_path();
  }
  if (fs::is_symlink(dir_, ec)) dir_ = fs::canonical(dir_, ec);  // replace the folder it names, not the link
  if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec)) {
    throw Error(dir_.string() + ": exists and is not a folder", ErrorKind::kInvalidArgument);
  }
  created_ = !fs::exists(dir_, ec);
  fs::create_directories(dir_, ec);
  if (ec) throw Error("cannot create " + dir_.string() + ": " + ec.message(), ErrorKind::kIo);
  lock_fd_ = ::open((dir_ / kLock).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) Fail("create the lock", dir_ / kLock, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw Error(dir_.string() + ": another run is writing this folder (" + kLock + " is locked)", ErrorKind::kIo);
  }
  RecoverFileSet(dir_, options_.manifest);
  static std::atomic<int> counter{0};
  if (options_.in_place) {
    staging_ = dir_ / (kInPlaceStaging + std::to_string(::getpid()));
  } else {
    RemoveAbandonedStaging(ParentOf(dir_), dir_.filename().string());
    staging_ = ParentOf(dir_) / ("." + dir_.filename().string() + ".staging-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(counter++));
  }
  if (::mkdir(staging_.c_str(), 0777) != 0) {
    const int err = errno;
    const fs::path failed = staging_;
    staging_.clear();
    Release();  // no destructor runs for a constructor that throws
    Fail("create", failed, err);
  }
}

FileSet::~FileSet() { Release(); }

void FileSet::Release() {
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);  // the abandoned set, or the old one a swap replaced
  staging_.clear();
  if (created_ && !committed_) {  // a folder this set made, holding nothing but the lock
    ::unlink((dir_ / kLock).c_str());
    ::rmdir(dir_.c_str());
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  lock_fd_ = -1;
}

fs::path FileSet::Stage(const std::string& name) {
  if (!IsPlainName(name) || name.starts_with(kReserved) || name == options_.manifest) {
    throw Error(dir_.string() + ": \"" + name + "\" cannot be a file of the set", ErrorKind::kInvalidArgument);
  }
  if (std::find(staged_.begin(), staged_.end(), name) == staged_.end()) staged_.push_back(name);
  return staging_ / name;
}

void FileSet::Write(const std::string& name, std::string_view bytes) {
  WriteWhole(Stage(name), dir_ / name, bytes);  // named as the user knows the file
  synced_.push_back(name);
}

long long FileSet::Generation(const fs::path& dir, const std::string& manifest) {
  const nlohmann::json m = ReadJson(dir / manifest);
  if (!m.is_object() || !m.contains("generation") || !m["generation"].is_number_integer()) return 0;
  return m["generation"].get<long long>();
}

void FileSet::Commit(nlohmann::json fields) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const std::string& name : staged_)
    if (fs::exists(staging_ / name, ec)) files.push_back(name);
  const std::set<std::string> keep(files.begin(), files.end());
  std::set<std::string> removed;
  if (!options_.manifest.empty())
    for (const std::string& name : Names(ReadJson(dir_ / options_.manifest), "files"))
      if (!keep.count(name)) removed.insert(name);
  if (!options_.earlier_marker.empty() && fs::exists(dir_ / options_.earlier_marker, ec))
    for (const std::string& name : options_.earlier_names)
      if (!keep.count(name) && fs::exists(dir_ / name, ec)) removed.insert(name);
  const std::vector<std::string> gone(removed.begin(), removed.end());
  for (const std::string& name : files)
    if (std::find(synced_.begin(), synced_.end(), name) == synced_.end()) Sync(staging_ / name);
  std::vector<std::string> set = files;
  if (!options_.manifest.empty()) {
    fields["generation"] = Generation(dir_, options_.manifest) + 1;
    fields["files"] = files;
    fields["removed"] = gone;
    WriteWhole(staging_ / options_.manifest, dir_ / options_.manifest, fields.dump(2) + "\n");
    set.push_back(options_.manifest);
  }
  if (options_.in_place || !CommitBySwap(set, gone)) CommitByJournal(set, gone);
  committed_ = true;
}

// False where the folder cannot be swapped (it holds folders; the file system has no RENAME_EXCHANGE).
bool FileSet::CommitBySwap(const std::vector<std::string>& set, const std::vector<std::string>& removed) {
  std::error_code ec;
  const std::set<std::string> skip = [&] {
    std::set<std::string> s(set.begin(), set.end());
    s.insert(removed.begin(), removed.end());
    return s;
  }();
  for (const auto& entry : fs::directory_iterator(dir_, ec))
    if (!skip.count(entry.path().filename().string()) && entry.is_directory(ec) && !entry.is_symlink(ec)) return false;
  // Files of the folder that are not part of the set (reports, a user's notes, the lock) stay.
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (skip.count(name)) continue;
    if (::link(entry.path().c_str(), (staging_ / name).c_str()) != 0) {
      fs::copy(entry.path(), staging_ / name, fs::copy_options::copy_symlinks, ec);
      if (ec) throw Error("cannot keep " + entry.path().string() + ": " + ec.message(), ErrorKind::kIo);
    }
  }
  if (ec) throw Error("cannot list " + dir_.string() + ": " + ec.message(), ErrorKind::kIo);
  Sync(staging_);
  if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, dir_.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) Fail("replace", dir_, errno);
    return false;  // (NFS, older file systems)
  }
  committed_ = true;
  Sync(ParentOf(dir_));
  // The staging folder now holds the old set; the destructor removes it.
  return true;
}

void FileSet::CommitByJournal(const std::vector<std::string>& files, const std::vector<std::string>& removed) {
  const nlohmann::json journal = {{"files", files}, {"removed", removed}};
  WriteWhole(staging_ / kJournal, staging_ / kJournal, journal.dump() + "\n");
  Sync(staging_);
  Rename(staging_, dir_ / kCommit);  // the commit point
  staging_.clear();
  committed_ = true;
  Sync(dir_);
  if (!options_.in_place) Sync(ParentOf(dir_));
  RecoverFileSet(dir_, options_.manifest);
}

}  // namespace vit::io
