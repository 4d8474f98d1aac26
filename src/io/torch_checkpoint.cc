#include "io/torch_checkpoint.h"

#include <cstring>
#include <limits>

#include "io/mapped_file.h"
#include "io/unpickler.h"
#include "io/zip_reader.h"
#include "vit/error.h"

namespace vit::io {
namespace {

// The pickle of a state_dict is kilobytes; anything this large is not one.
constexpr size_t kMaxPickleBytes = 256u << 20;

bool StartsWith(std::span<const std::byte> bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() && std::memcmp(bytes.data(), prefix.data(), prefix.size()) == 0;
}

// The one "<archive>/data.pkl" at the top of the archive; its folder prefixes every other entry.
std::string ArchivePrefix(const ZipArchive& zip, const std::string& where) {
  std::string prefix;
  int found = 0;
  for (const ZipEntry& e : zip.entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      prefix = e.name.substr(0, slash + 1);
      ++found;
    }
  }
  if (found != 1) {
    throw Error(where + ": expected one <archive>/data.pkl in the torch zip, found " + std::to_string(found));
  }
  return prefix;
}

// Checked arithmetic on element counts: a product or sum that leaves [0, 2^63) is an error.
uint64_t CheckedMulAdd(uint64_t a, uint64_t b, uint64_t c, const std::string& context) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r) || __builtin_add_overflow(r, c, &r) ||
      r > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    throw Error(context + ": size, stride or offset overflows");
  }
  return r;
}

TensorRecord BindTensor(const PickledTensor& t, const ZipArchive& zip, const std::string& prefix,
                        const std::string& where, std::deque<std::vector<std::byte>>& copies) {
  const std::string context = where + ": tensor \"" + t.name + "\"";
  const std::string entry_name = prefix + "data/" + t.storage.key;
  const ZipEntry* entry = zip.Find(entry_name);
  if (entry == nullptr) throw Error(context + ": its storage " + entry_name + " is not in the archive");
  const size_t item = DTypeSize(t.storage.dtype);
  const uint64_t storage_bytes = CheckedMulAdd(t.storage.numel, item, 0, context);
  if (entry->data.size() != storage_bytes) {
    throw Error(context + ": storage " + entry_name + " holds " + std::to_string(entry->data.size()) +
                " bytes, its pickle says " + std::to_string(t.storage.numel) + " elements of " +
                std::to_string(item) + " bytes");
  }

  TensorRecord record;
  record.name = t.name;
  record.dtype = t.storage.dtype;
  record.shape = t.size;
  uint64_t numel = 1;
  uint64_t last = 0;  // offset of the last element from the first, in elements
  bool contiguous = true;
  uint64_t expected_stride = 1;
  for (size_t d = t.size.size(); d-- > 0;) {
    const auto size = static_cast<uint64_t>(t.size[d]);
    const auto stride = static_cast<uint64_t>(t.stride[d]);
    numel = CheckedMulAdd(numel, size, 0, context);
    if (size > 1 && stride != expected_stride) contiguous = false;
    if (size > 0) last = CheckedMulAdd(size - 1, stride, last, context);
    expected_stride = CheckedMulAdd(expected_stride, size, 0, context);
  }
  if (numel == 0) {  // nothing to read, wherever the view claims to start
    record.data = entry->data.data();
    return record;
  }
  const uint64_t offset = static_cast<uint64_t>(t.storage_offset);
  const uint64_t end = CheckedMulAdd(1, offset, CheckedMulAdd(1, last, 1, context), context);
  if (end > t.storage.numel) {
    throw Error(context + ": view of " + std::to_string(end) + " elements (offset " + std::to_string(offset) +
                ") runs past its storage of " + std::to_string(t.storage.numel));
  }
  record.nbytes = static_cast<size_t>(numel * item);
  const std::byte* base = entry->data.data() + offset * item;
  if (contiguous) {
    record.data = base;
    return record;
  }
  // A strided view: gather it. More elements than its storage means overlapping strides
  // (an expanded tensor), which would let a tiny file ask for an enormous copy.
  if (numel > t.storage.numel) {
    throw Error(context + ": strided view of " + std::to_string(numel) + " elements over a storage of " +
                    std::to_string(t.storage.numel) + " (overlapping strides) is not supported",
                ErrorKind::kUnsupported);
  }
  std::vector<std::byte>& copy = copies.emplace_back(record.nbytes);
  std::vector<int64_t> index(t.size.size(), 0);
  uint64_t source = 0;
  for (uint64_t i = 0; i < numel; ++i) {
    std::memcpy(copy.data() + i * item, base + source * item, item);
    for (size_t d = index.size(); d-- > 0;) {  // odometer step, last dimension fastest
      source += static_cast<uint64_t>(t.stride[d]);
      if (++index[d] < t.size[d]) break;
      source -= static_cast<uint64_t>(t.stride[d]) * static_cast<uint64_t>(t.size[d]);
      index[d] = 0;
    }
  }
  record.data = copy.data();
  return record;
}

class TorchSource final : public TensorSource {
 public:
  explicit TorchSource(const std::filesystem::path& path)
      : file_(path), tensors_(ParseTorchCheckpoint(file_.bytes(), path.string(), copies_)) {}

  const std::vector<TensorRecord>& tensors() const override { return tensors_; }
  const std::filesystem::path& path() const override { return file_.path(); }
  uint64_t file_bytes() const override { return file_.size(); }
  void ReleasePages() override { file_.ReleasePages(); }
  void ReleaseTensor(const TensorRecord& tensor) override { file_.ReleaseRange(tensor.data, tensor.nbytes); }
  void CopyBytes(const TensorRecord& tensor, std::byte* out) const override {
    file_.CopyOut(tensor.data, tensor.nbytes, out);
  }

 private:
  MappedFile file_;
  std::deque<std::vector<std::byte>> copies_;  // declared before tensors_, which point into it
  std::vector<TensorRecord> tensors_;
};

}  // namespace

std::vector<TensorRecord> ParseTorchCheckpoint(std::span<const std::byte> bytes, const std::string& where,
                                               std::deque<std::vector<std::byte>>& copies) {
  if (!StartsWith(bytes, "PK\x03\x04") && !StartsWith(bytes, "PK\x05\x06")) {
    const bool legacy_pickle = StartsWith(bytes, "\x80");
    const bool legacy_tar = bytes.size() > 262 && std::memcmp(bytes.data() + 257, "ustar", 5) == 0;
    if (legacy_pickle || legacy_tar) {
      throw Error(where + ": this is the legacy (pre-1.6, non-zip) torch.save format, which is not supported; "
                          "convert it to safetensors (or re-save it with a current torch)",
                  ErrorKind::kUnsupported);
    }
    throw Error(where + ": not a torch checkpoint (no zip signature)");
  }
  const ZipArchive zip(bytes, where);
  const std::string prefix = ArchivePrefix(zip, where);
  if (const ZipEntry* order = zip.Find(prefix + "byteorder")) {
    std::string_view text(reinterpret_cast<const char*>(order->data.data()), order->data.size());
    if (text != "little") {
      throw Error(where + ": byteorder is \"" + std::string(text.substr(0, 16)) + "\", only little-endian is supported",
                  ErrorKind::kUnsupported);
    }
  }
  const ZipEntry& pickle = *zip.Find(prefix + "data.pkl");
  if (pickle.data.size() > kMaxPickleBytes) {
    throw Error(where + ": data.pkl is " + std::to_string(pickle.data.size()) + " bytes, too large for a state_dict");
  }
  zip.VerifyCrc(pickle);
  std::vector<TensorRecord> records;
  for (const PickledTensor& t : UnpickleStateDict(pickle.data, where + " (data.pkl)")) {
    records.push_back(BindTensor(t, zip, prefix, where, copies));
  }
  return records;
}

std::unique_ptr<TensorSource> OpenTorchCheckpoint(const std::filesystem::path& file) {
  return std::make_unique<TorchSource>(file);
}

}  // namespace vit::io
