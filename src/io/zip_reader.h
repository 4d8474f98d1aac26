// The central directory of a zip archive held in memory, as torch.save writes it: every entry
// stored (uncompressed), often with zip64 records. Offsets and sizes are bounds-checked, so an entry's
// bytes always lie inside the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vit::io {

struct ZipEntry {
  std::string name;
  std::span<const std::byte> data;  // the stored bytes, inside the archive buffer
  uint32_t crc32 = 0;               // as recorded in the central directory
};

class ZipArchive {
 public:
  // Throws vit::Error naming `where` on anything malformed, and kUnsupported for compressed or
  // encrypted entries and multi-disk archives.
  ZipArchive(std::span<const std::byte> bytes, std::string where);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* Find(std::string_view name) const;
  // Checks an entry's CRC-32 (costs a pass over its bytes: meant for small entries).
  void VerifyCrc(const ZipEntry& entry) const;

 private:
  std::string where_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> index_;  // name -> entries_ position
};

}  // namespace vit::io
