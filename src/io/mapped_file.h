// A read-only memory map of a whole file. Weights stay in the page cache and are shared between
// processes; nothing is copied until a caller converts a tensor.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace vit::io {

class MappedFile {
 public:
  // Throws vit::Error: kNotFound when the file does not exist, kIo when it cannot be read or mapped.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // nullptr for an empty file (mmap cannot map zero bytes).
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

  // Gives the resident pages back to the kernel; a later read faults them in again from the file.
  void ReleasePages();
  // The same for the whole pages inside [begin, begin + bytes); a range outside the mapping is ignored,
  // so callers may pass any tensor's bytes.
  void ReleaseRange(const std::byte* begin, size_t bytes);
  // Copies [begin, begin + bytes) into `out`. Bytes of the mapping are read from the file with pread, which
  // copies them out of the page cache without mapping its pages into this process: on virtual machines a
  // first touch of a mapped page costs several times the copy. Any other range is copied from memory.
  // Throws vit::Error kIo when the file cannot be read or has shrunk since it was mapped, kInternal for a
  // range that starts inside the mapping and runs past its end.
  void CopyOut(const std::byte* begin, size_t bytes, std::byte* out) const;

 private:
  void Unmap() noexcept;

  std::filesystem::path path_;
  std::byte* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;  // kept open for CopyOut
};

}  // namespace vit::io
