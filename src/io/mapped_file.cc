#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "vit/error.h"

namespace vit::io {
namespace {

std::string SystemError(const std::string& what, const std::filesystem::path& path, int err) {
  return what + " " + path.string() + ": " + std::strerror(err);
}

// Closes the descriptor on every path out of the constructor; the mapping outlives it.
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
}

MappedFile::~MappedFile() { Unmap(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Unmap();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
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

void MappedFile::Unmap() noexcept {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace vit::io
