#include "io/npy_block_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "io/npy.h"
#include "vit/error.h"

namespace vit::io {
namespace {

constexpr size_t kHeaderBytes = 128;

[[noreturn]] void Fail(const std::filesystem::path& path, const std::string& what) {
  throw Error(path.string() + ": " + what + ": " + std::strerror(errno), ErrorKind::kIo);
}

void WriteAll(int fd, const char* data, size_t bytes, off_t offset, const std::filesystem::path& path) {
  while (bytes > 0) {
    const ssize_t n = pwrite(fd, data, bytes, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Fail(path, "write failed");
    data += n;
    bytes -= static_cast<size_t>(n);
    offset += n;
  }
}

}  // namespace

std::vector<char> EncodeNpyHeaderFixed(const std::vector<int64_t>& shape) {
  const std::string preamble = EncodeNpyPreamble(shape, kHeaderBytes);
  if (preamble.size() != kHeaderBytes)
    throw Error("array shape too long for a .npy header", ErrorKind::kInvalidArgument);
  return {preamble.begin(), preamble.end()};
}

NpyBlockWriter::NpyBlockWriter(const std::filesystem::path& path, std::vector<int64_t> shape, int row_axis)
    : path_(path), shape_(std::move(shape)), row_axis_(row_axis) {
  if (row_axis_ < 0 || row_axis_ >= static_cast<int>(shape_.size()))
    throw Error("NpyBlockWriter: row axis out of range", ErrorKind::kInternal);
  for (int i = 0; i < static_cast<int>(shape_.size()); ++i) {
    if (i < row_axis_) outer_ *= shape_[static_cast<size_t>(i)];
    if (i > row_axis_) inner_ *= shape_[static_cast<size_t>(i)];
  }
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) Fail(path_, "cannot create");
  WriteHeader();
}

NpyBlockWriter::~NpyBlockWriter() {
  if (fd_ >= 0) close(fd_);
}

void NpyBlockWriter::WriteHeader() {
  const auto header = EncodeNpyHeaderFixed(shape_);
  WriteAll(fd_, header.data(), header.size(), 0, path_);
}

void NpyBlockWriter::WriteRows(int64_t first_row, int64_t count, const float* data) {
  for (int64_t o = 0; o < outer_; ++o) WriteSlab(o, first_row, count, data + o * count * inner_);
}

void NpyBlockWriter::WriteSlab(int64_t outer, int64_t first_row, int64_t count, const float* data) {
  const int64_t planned = shape_[static_cast<size_t>(row_axis_)];
  if (outer < 0 || outer >= outer_ || first_row < 0 || count < 0 || first_row + count > planned)
    throw Error(path_.string() + ": rows " + std::to_string(first_row) + "+" + std::to_string(count) +
                    " of slab " + std::to_string(outer) + " past the planned shape",
                ErrorKind::kInternal);
  const auto offset =
      static_cast<off_t>(kHeaderBytes + static_cast<size_t>((outer * planned + first_row) * inner_) * sizeof(float));
  WriteAll(fd_, reinterpret_cast<const char*>(data), static_cast<size_t>(count * inner_) * sizeof(float), offset, path_);
}

void NpyBlockWriter::Finish(int64_t rows) {
  const int64_t planned = shape_[static_cast<size_t>(row_axis_)];
  if (rows < planned && outer_ > 1) {
    // Slab o moves from o*planned to o*rows rows: always downwards, so a forward copy is safe.
    std::vector<char> buffer(size_t{8} << 20);
    const size_t slab = static_cast<size_t>(rows * inner_) * sizeof(float);
    for (int64_t o = 1; o < outer_; ++o) {
      const off_t from = static_cast<off_t>(kHeaderBytes + static_cast<size_t>(o * planned * inner_) * sizeof(float));
      const off_t to = static_cast<off_t>(kHeaderBytes + static_cast<size_t>(o * rows * inner_) * sizeof(float));
      for (size_t done = 0; done < slab;) {
        const size_t n = std::min(buffer.size(), slab - done);
        if (pread(fd_, buffer.data(), n, from + static_cast<off_t>(done)) != static_cast<ssize_t>(n))
          Fail(path_, "read back failed");
        WriteAll(fd_, buffer.data(), n, to + static_cast<off_t>(done), path_);
        done += n;
      }
    }
  }
  shape_[static_cast<size_t>(row_axis_)] = rows;
  const off_t size = static_cast<off_t>(kHeaderBytes + static_cast<size_t>(outer_ * rows * inner_) * sizeof(float));
  if (ftruncate(fd_, size) != 0) Fail(path_, "truncate failed");
  WriteHeader();
  if (close(fd_) != 0) Fail(path_, "close failed");
  fd_ = -1;
}

}  // namespace vit::io
