#include "io/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vit/error.h"

namespace vit::io {
namespace {

template <typename Buffer>
Buffer ReadWhole(const std::filesystem::path& path, uint64_t max_bytes, const std::string& what) {
  const std::string name = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) throw Error(name + ": no such file", ErrorKind::kNotFound);
    throw Error(name + ": cannot open: " + std::strerror(err), ErrorKind::kIo);
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error(name + ": cannot stat: " + std::strerror(errno), ErrorKind::kIo);
  if (S_ISDIR(st.st_mode)) throw Error(name + ": is a folder, not " + what, ErrorKind::kInvalidArgument);
  if (!S_ISREG(st.st_mode)) {
    throw Error(name + ": not a regular file (a device, pipe or socket), so not " + what,
                ErrorKind::kInvalidArgument);
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    throw Error(name + ": " + std::to_string(size) + " bytes, over the " + std::to_string(max_bytes) +
                    "-byte limit for " + what,
                ErrorKind::kInvalidArgument);
  }
  // The size stat() reported, no more: a file that grows meanwhile is read as it was.
  Buffer bytes(static_cast<size_t>(size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(name + ": read failed: " + std::strerror(errno), ErrorKind::kIo);
    if (n == 0) break;  // shrank meanwhile
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

}  // namespace

std::vector<uint8_t> ReadRegularFile(const std::filesystem::path& path, uint64_t max_bytes, const std::string& what) {
  return ReadWhole<std::vector<uint8_t>>(path, max_bytes, what);
}

std::string ReadRegularTextFile(const std::filesystem::path& path, uint64_t max_bytes, const std::string& what) {
  return ReadWhole<std::string>(path, max_bytes, what);
}

}  // namespace vit::io
