#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "vit/error.h"

namespace vit::io {
namespace {

std::string SystemError(const std::string& what, const std::filesystem::path& path, int err) {
  return what + " " + path.string() + ": " + std::strerror(err);
}

// Closes the descriptor on every path out of the constructor that does not keep it.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    throw Error(SystemError("cannot open", path, err),
                err == ENOENT || err == ENOTDIR ? ErrorKind::kNotFound : ErrorKind::kIo);
  }
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error(SystemError("cannot stat", path, errno), ErrorKind::kIo);
  if (S_ISDIR(st.st_mode)) throw Error("cannot map " + path.string() + ": it is a folder", ErrorKind::kIo);
  if (!S_ISREG(st.st_mode)) {
    throw Error("cannot map " + path.string() + ": not a regular file", ErrorKind::kIo);
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ == 0) return;
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    size_ = 0;
    throw Error(SystemError("cannot mmap", path, errno), ErrorKind::kIo);
  }
  data_ = static_cast<std::byte*>(p);
  fd_ = std::exchange(closer.fd, -1);
}

MappedFile::~MappedFile() { Unmap(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Unmap();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void MappedFile::ReleasePages() {
  // A failure only means the pages stay resident: nothing to report.
  if (data_ != nullptr) ::madvise(data_, size_, MADV_DONTNEED);
}

void MappedFile::ReleaseRange(const std::byte* begin, size_t bytes) {
  if (data_ == nullptr || begin < data_ || bytes > size_ || begin > data_ + (size_ - bytes)) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = (reinterpret_cast<uintptr_t>(begin) + page - 1) / page * page;
  const uintptr_t last = (reinterpret_cast<uintptr_t>(begin) + bytes) / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

void MappedFile::CopyOut(const std::byte* begin, size_t bytes, std::byte* out) const {
  const auto first = reinterpret_cast<uintptr_t>(begin), base = reinterpret_cast<uintptr_t>(data_);
  const bool starts_inside = data_ != nullptr && first >= base && first < base + size_;
  if (!starts_inside || fd_ < 0) {
    if (bytes != 0) std::memcpy(out, begin, bytes);
    return;
  }
  if (bytes > size_ - (first - base)) {
    throw Error("cannot read " + std::to_string(bytes) + " bytes at byte " + std::to_string(first - base) + " of " +
                    path_.string() + ": past its end (" + std::to_string(size_) + " bytes)",
                ErrorKind::kInternal);
  }
  auto offset = static_cast<off_t>(first - base);
  while (bytes > 0) {
    const ssize_t n = ::pread(fd_, out, bytes, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(SystemError("cannot read", path_, errno), ErrorKind::kIo);
    if (n == 0) {
      throw Error("cannot read " + path_.string() + ": it ends at byte " + std::to_string(offset) +
                      ", shorter than when it was opened (was it replaced while loading?)",
                  ErrorKind::kIo);
    }
    out += n;
    offset += n;
    bytes -= static_cast<size_t>(n);
  }
}

void MappedFile::Unmap() noexcept {
  if (data_ != nullptr) ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);
  data_ = nullptr;
  size_ = 0;
  fd_ = -1;
}

}  // namespace vit::io
