#include "io/file_set.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "vit/error.h"

namespace vit::io {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void Fail(const std::string& what, const fs::path& path, int err) {
  throw Error("cannot " + what + " " + path.string() + ": " + std::strerror(err), ErrorKind::kIo);
}

void SyncFolder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) Fail("open", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) Fail("sync", dir, err);
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

// Staging folders that a killed writer left beside `dir` (SIGKILL runs no destructor). Only those whose
// process is gone: a live one may be another writer's set in progress.
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

}  // namespace

FileSet::FileSet(const fs::path& dir) {
  std::error_code ec;
  dir_ = dir.lexically_normal();
  if (dir_.has_filename() == false) dir_ = dir_.parent_path();
  if (fs::is_symlink(dir_, ec)) dir_ = fs::canonical(dir_, ec);  // replace the folder it names, not the link
  if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec)) {
    throw Error(dir_.string() + ": exists and is not a folder", ErrorKind::kInvalidArgument);
  }
  const fs::path parent = dir_.has_parent_path() ? dir_.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  RemoveAbandonedStaging(parent, dir_.filename().string());
  static std::atomic<int> counter{0};
  staging_ = parent / ("." + dir_.filename().string() + ".staging-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter++));
  if (::mkdir(staging_.c_str(), 0777) != 0) Fail("create", staging_, errno);
}

FileSet::~FileSet() {
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);
}

void FileSet::Write(const std::string& name, std::string_view bytes) {
  const fs::path shown = dir_ / name;  // what the user knows the file as
  const fs::path path = staging_ / name;
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
  if (written_.insert(name).second) order_.push_back(name);
}

void FileSet::ReplaceFileByFile() {
  for (const std::string& name : order_) {
    if (::rename((staging_ / name).c_str(), (dir_ / name).c_str()) != 0) Fail("replace", dir_ / name, errno);
  }
  SyncFolder(dir_);
}

void FileSet::Commit() {
  std::error_code ec;
  const bool replacing = fs::is_directory(dir_, ec);
  if (replacing) {
    // A folder that also holds folders (data beside the output) cannot be swapped whole: its files
    // are replaced one by one, in the order written, each atomically but not as a set.
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      if (written_.count(entry.path().filename().string()) == 0 && entry.is_directory(ec) && !entry.is_symlink(ec)) {
        ReplaceFileByFile();
        return;
      }
    }
    // Files of the folder that are not part of the set (reports, a user's notes) stay.
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      const std::string name = entry.path().filename().string();
      if (written_.count(name) != 0) continue;
      if (::link(entry.path().c_str(), (staging_ / name).c_str()) != 0) {
        fs::copy(entry.path(), staging_ / name, fs::copy_options::copy_symlinks, ec);
        if (ec) throw Error("cannot keep " + entry.path().string() + ": " + ec.message(), ErrorKind::kIo);
      }
    }
    if (ec) throw Error("cannot list " + dir_.string() + ": " + ec.message(), ErrorKind::kIo);
  }
  SyncFolder(staging_);
  if (!replacing) {
    if (::rename(staging_.c_str(), dir_.c_str()) != 0) Fail("create", dir_, errno);
    staging_.clear();
  } else if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, dir_.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) Fail("replace", dir_, errno);
    // A file system without the exchange (NFS): two renames, between which the folder is absent.
    const fs::path aside = staging_.string() + ".old";
    if (::rename(dir_.c_str(), aside.c_str()) != 0) Fail("replace", dir_, errno);
    if (::rename(staging_.c_str(), dir_.c_str()) != 0) {
      const int err = errno;
      ::rename(aside.c_str(), dir_.c_str());
      Fail("replace", dir_, err);
    }
    staging_ = aside;
  }
  SyncFolder(dir_.has_parent_path() ? dir_.parent_path() : fs::path("."));
  // The staging folder now holds the old set; the destructor removes it.
}

}  // namespace vit::io
