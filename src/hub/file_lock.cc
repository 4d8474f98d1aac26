#include "hub/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "vit/error.h"

namespace vit::hub {

FileLock::FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) throw Error("cannot create folder " + path.parent_path().string() + ": " + error.message(), ErrorKind::kIo);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) throw Error("cannot open lock file " + path.string() + ": " + std::strerror(errno), ErrorKind::kIo);
  int result = ::flock(fd_, LOCK_EX | LOCK_NB);
  if (result != 0 && errno == EWOULDBLOCK) {
    if (on_wait) on_wait();
    do {
      result = ::flock(fd_, LOCK_EX);
    } while (result != 0 && errno == EINTR);
  }
  if (result != 0) {
    const int saved = errno;
    ::close(fd_);
    throw Error("cannot lock " + path.string() + ": " + std::strerror(saved), ErrorKind::kIo);
  }
}

FileLock::~FileLock() {
  // Closing the descriptor releases the lock. The file stays: deleting it would let a waiter that
  // opened the old file and a newcomer that creates a new one both believe they hold the lock.
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace vit::hub
