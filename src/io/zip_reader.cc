#include "io/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "vit/error.h"

namespace vit::io {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndBytes = 22;
constexpr size_t kZip64LocatorBytes = 20;
constexpr size_t kZip64EndBytes = 56;
constexpr size_t kCentralHeaderBytes = 46;
constexpr size_t kLocalHeaderBytes = 30;
constexpr uint16_t kZip64ExtraId = 0x0001;

// Little-endian reads at checked positions of one buffer.
class Reader {
 public:
  Reader(std::span<const std::byte> bytes, const std::string& where) : bytes_(bytes), where_(where) {}

  void Need(uint64_t offset, uint64_t count, const char* what) const {
    if (offset > bytes_.size() || count > bytes_.size() - offset) {
      throw Error(where_ + ": zip " + what + " at offset " + std::to_string(offset) + " (+" + std::to_string(count) +
                  " bytes) lies outside the " + std::to_string(bytes_.size()) + "-byte file (truncated?)");
    }
  }
  template <typename T>
  T Get(uint64_t offset) const {
    Need(offset, sizeof(T), "field");
    T v;
    std::memcpy(&v, bytes_.data() + offset, sizeof(T));
    return v;
  }
  std::span<const std::byte> Span(uint64_t offset, uint64_t count, const char* what) const {
    Need(offset, count, what);
    return bytes_.subspan(static_cast<size_t>(offset), static_cast<size_t>(count));
  }
  size_t size() const { return bytes_.size(); }

 private:
  std::span<const std::byte> bytes_;
  const std::string& where_;
};

struct Directory {
  uint64_t entries = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

Directory FindDirectory(const Reader& r, const std::string& where) {
  if (r.size() < kEndBytes) throw Error(where + ": too short to be a zip archive");
  // The end record sits at the very end, followed only by a comment of up to 64 KiB.
  const uint64_t lowest = r.size() >= kEndBytes + 0xffff ? r.size() - kEndBytes - 0xffff : 0;
  uint64_t end = r.size() - kEndBytes;
  while (r.Get<uint32_t>(end) != kEndSig) {
    if (end == lowest) throw Error(where + ": no zip end-of-central-directory record (truncated or not a zip)");
    --end;
  }
  if (r.Get<uint16_t>(end + 4) != 0 || r.Get<uint16_t>(end + 6) != 0) {
    throw Error(where + ": multi-disk zip archives are not supported", ErrorKind::kUnsupported);
  }
  Directory d;
  d.entries = r.Get<uint16_t>(end + 10);
  d.size = r.Get<uint32_t>(end + 12);
  d.offset = r.Get<uint32_t>(end + 16);
  const bool needs_zip64 = d.entries == 0xffff || d.size == 0xffffffffu || d.offset == 0xffffffffu;
  if (end >= kZip64LocatorBytes && r.Get<uint32_t>(end - kZip64LocatorBytes) == kZip64LocatorSig) {
    const uint64_t record = r.Get<uint64_t>(end - kZip64LocatorBytes + 8);
    r.Need(record, kZip64EndBytes, "zip64 end record");
    if (r.Get<uint32_t>(record) != kZip64EndSig) throw Error(where + ": zip64 locator points at no zip64 end record");
    d.entries = r.Get<uint64_t>(record + 32);
    d.size = r.Get<uint64_t>(record + 40);
    d.offset = r.Get<uint64_t>(record + 48);
  } else if (needs_zip64) {
    throw Error(where + ": zip end record needs zip64 fields, but there is no zip64 locator");
  }
  r.Need(d.offset, d.size, "central directory");
  // Each entry takes at least 46 bytes: a count beyond that is a lie, caught before any allocation.
  if (d.entries > d.size / kCentralHeaderBytes) {
    throw Error(where + ": zip claims " + std::to_string(d.entries) + " entries in a " + std::to_string(d.size) +
                "-byte central directory");
  }
  return d;
}

}  // namespace

ZipArchive::ZipArchive(std::span<const std::byte> bytes, std::string where) : where_(std::move(where)) {
  const Reader r(bytes, where_);
  const Directory dir = FindDirectory(r, where_);
  const uint64_t dir_end = dir.offset + dir.size;
  entries_.reserve(static_cast<size_t>(dir.entries));
  uint64_t pos = dir.offset;
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (pos + kCentralHeaderBytes > dir_end || r.Get<uint32_t>(pos) != kCentralHeaderSig) {
      throw Error(where_ + ": zip central directory entry " + std::to_string(i) + " is malformed");
    }
    const uint16_t flags = r.Get<uint16_t>(pos + 8);
    const uint16_t method = r.Get<uint16_t>(pos + 10);
    const uint32_t crc = r.Get<uint32_t>(pos + 16);
    uint64_t compressed = r.Get<uint32_t>(pos + 20);
    uint64_t uncompressed = r.Get<uint32_t>(pos + 24);
    const uint16_t name_len = r.Get<uint16_t>(pos + 28);
    const uint16_t extra_len = r.Get<uint16_t>(pos + 30);
    const uint16_t comment_len = r.Get<uint16_t>(pos + 32);
    uint64_t local = r.Get<uint32_t>(pos + 42);
    const uint64_t record_bytes = kCentralHeaderBytes + name_len + extra_len + comment_len;
    if (pos + record_bytes > dir_end) {
      throw Error(where_ + ": zip central directory entry " + std::to_string(i) + " runs past the directory");
    }
    std::span<const std::byte> name_bytes = r.Span(pos + kCentralHeaderBytes, name_len, "entry name");
    std::string name(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size());

    // zip64 extended information: the 64-bit values of the fields saturated at 0xffffffff, in order.
    uint64_t extra = pos + kCentralHeaderBytes + name_len;
    const uint64_t extra_end = extra + extra_len;
    while (extra + 4 <= extra_end) {
      const uint16_t id = r.Get<uint16_t>(extra);
      const uint16_t len = r.Get<uint16_t>(extra + 2);
      if (extra + 4 + len > extra_end) throw Error(where_ + ": zip extra field of " + name + " is malformed");
      if (id == kZip64ExtraId) {
        uint64_t field = extra + 4;
        const uint64_t field_end = field + len;
        for (uint64_t* value : {&uncompressed, &compressed, &local}) {
          if (*value != 0xffffffffu) continue;
          if (field + 8 > field_end) throw Error(where_ + ": zip64 extra field of " + name + " is too short");
          *value = r.Get<uint64_t>(field);
          field += 8;
        }
      }
      extra += 4 + len;
    }

    if (flags & 0x1) throw Error(where_ + ": zip entry " + name + " is encrypted", ErrorKind::kUnsupported);
    if (method != 0 || compressed != uncompressed) {
      throw Error(where_ + ": zip entry " + name + " is compressed (method " + std::to_string(method) +
                      "); torch.save stores entries uncompressed",
                  ErrorKind::kUnsupported);
    }
    r.Need(local, kLocalHeaderBytes, "local header");
    if (r.Get<uint32_t>(local) != kLocalHeaderSig) {
      throw Error(where_ + ": zip entry " + name + " points at no local header");
    }
    // Sizes in the local header may be zero (data descriptor follows); the directory's are the truth.
    const uint64_t data_offset = local + kLocalHeaderBytes + r.Get<uint16_t>(local + 26) + r.Get<uint16_t>(local + 28);
    ZipEntry entry;
    entry.data = r.Span(data_offset, uncompressed, "entry data");
    entry.crc32 = crc;
    entry.name = std::move(name);
    entries_.push_back(std::move(entry));
    pos += record_bytes;
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!index_.emplace(entries_[i].name, i).second) {
      throw Error(where_ + ": zip entry " + entries_[i].name + " appears twice");
    }
  }
}

const ZipEntry* ZipArchive::Find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

void ZipArchive::VerifyCrc(const ZipEntry& entry) const {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  std::span<const std::byte> rest = entry.data;
  while (!rest.empty()) {  // zlib takes 32-bit lengths
    const size_t chunk = std::min<size_t>(rest.size(), 1u << 30);
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(rest.data()), static_cast<uInt>(chunk));
    rest = rest.subspan(chunk);
  }
  if (static_cast<uint32_t>(crc) != entry.crc32) {
    throw Error(where_ + ": zip entry " + entry.name + " fails its CRC-32 check (corrupt file)");
  }
}

}  // namespace vit::io
