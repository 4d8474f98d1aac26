#include "io/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "io/json.h"
#include "io/mapped_file.h"
#include "vit/error.h"

namespace vit::io {
namespace {

constexpr size_t kLengthBytes = 8;

// Valid safetensors dtypes that this library does not read.
constexpr std::string_view kKnownUnsupported[] = {"U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0",
                                                  "F4", "F6_E2M3", "F6_E3M2", "C64"};

uint64_t ReadU64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A non-negative JSON integer, or an error naming the field.
uint64_t NonNegativeInteger(const Json& v, const std::string& context) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    throw Error(context + " is negative (" + v.dump() + "), expected a non-negative integer");
  }
  throw Error(context + " is " + v.dump() + ", expected a non-negative integer");
}

struct Entry {
  TensorRecord record;
  uint64_t begin = 0;
  uint64_t end = 0;
};

Entry ParseEntry(const std::string& name, const Json& info, const std::string& where) {
  const std::string context = where + ": tensor \"" + name + "\"";
  if (!info.is_object()) {
    throw Error(context + " is a JSON " + JsonTypeName(info) + ", expected an object with dtype, shape, data_offsets");
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(field)) throw Error(context + " has no \"" + field + "\" field");
  }
  Entry entry;
  entry.record.name = name;

  const Json& dtype = info["dtype"];
  if (!dtype.is_string()) throw Error(context + ": dtype is " + dtype.dump() + ", expected a string");
  const std::string& dtype_name = dtype.get_ref<const std::string&>();
  std::optional<DType> parsed = ParseDTypeName(dtype_name);
  if (!parsed) {
    bool known = std::find(std::begin(kKnownUnsupported), std::end(kKnownUnsupported), dtype_name) !=
                 std::end(kKnownUnsupported);
    throw Error(context + ": dtype \"" + dtype_name +
                    "\" is not supported (expected F64, F32, F16, BF16, I64, I32, I16, I8, U8 or BOOL)",
                known ? ErrorKind::kUnsupported : ErrorKind::kInvalidInput);
  }
  entry.record.dtype = *parsed;

  const Json& shape = info["shape"];
  if (!shape.is_array()) throw Error(context + ": shape is " + shape.dump() + ", expected an array");
  uint64_t numel = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    uint64_t dim = NonNegativeInteger(shape[i], context + ": shape[" + std::to_string(i) + "]");
    if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        __builtin_mul_overflow(numel, dim, &numel) ||
        numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw Error(context + ": shape " + shape.dump() + " has more elements than fit in 63 bits");
    }
    entry.record.shape.push_back(static_cast<int64_t>(dim));
  }
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(DTypeSize(entry.record.dtype)), &nbytes)) {
    throw Error(context + ": shape " + shape.dump() + " is larger than any file");
  }

  const Json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    throw Error(context + ": data_offsets is " + offsets.dump() + ", expected [begin, end]");
  }
  entry.begin = NonNegativeInteger(offsets[0], context + ": data_offsets[0]");
  entry.end = NonNegativeInteger(offsets[1], context + ": data_offsets[1]");
  if (entry.end < entry.begin) {
    throw Error(context + ": data_offsets " + offsets.dump() + " end before they begin");
  }
  if (entry.end - entry.begin != nbytes) {
    throw Error(context + ": data_offsets " + offsets.dump() + " span " + std::to_string(entry.end - entry.begin) +
                " bytes, but shape " + shape.dump() + " of " + dtype_name + " needs " + std::to_string(nbytes));
  }
  entry.record.nbytes = static_cast<size_t>(nbytes);
  return entry;
}

class SafetensorsSource final : public TensorSource {
 public:
  explicit SafetensorsSource(const std::filesystem::path& path)
      : file_(path), tensors_(ParseSafetensors(file_.bytes(), path.string())) {}

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
  std::vector<TensorRecord> tensors_;
};

}  // namespace

std::optional<DType> ParseDTypeName(std::string_view name) {
  for (DType d : {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64, DType::kI32, DType::kI16,
                  DType::kI8, DType::kU8, DType::kBool}) {
    if (DTypeName(d) == name) return d;
  }
  return std::nullopt;
}

std::vector<TensorRecord> ParseSafetensors(std::span<const std::byte> bytes, const std::string& where,
                                           std::map<std::string, std::string>* metadata) {
  if (bytes.size() < kLengthBytes) {
    throw Error(where + ": file is " + std::to_string(bytes.size()) +
                " bytes, too short for the 8-byte safetensors header length");
  }
  const uint64_t header_len = ReadU64(bytes.data());
  if (header_len > kSafetensorsMaxHeaderBytes) {
    throw Error(where + ": header length " + std::to_string(header_len) + " is over the " +
                std::to_string(kSafetensorsMaxHeaderBytes) + "-byte limit");
  }
  if (header_len > bytes.size() - kLengthBytes) {
    throw Error(where + ": header length " + std::to_string(header_len) + " runs past the end of the " +
                std::to_string(bytes.size()) + "-byte file");
  }
  std::string_view header_text(reinterpret_cast<const char*>(bytes.data() + kLengthBytes), header_len);
  if (header_text.empty() || header_text.front() != '{') {
    throw Error(where + ": header does not start with '{' (not a safetensors file?)");
  }
  const Json header = ParseJson(header_text, where + " (safetensors header)",
                                {.max_depth = 8, .max_bytes = kSafetensorsMaxHeaderBytes});
  if (!header.is_object()) throw Error(where + ": header is not a JSON object");

  std::vector<Entry> entries;
  entries.reserve(header.size());
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) throw Error(where + ": __metadata__ is a JSON " + JsonTypeName(info) + ", expected an object");
      if (metadata != nullptr) {
        for (const auto& [key, value] : info.items())
          if (value.is_string()) (*metadata)[key] = value.get<std::string>();
      }
      continue;
    }
    entries.push_back(ParseEntry(name, info, where));
  }

  // The tensors must tile the data area: sorted by offset, each begins where the previous ended,
  // and the last ends at the end of the file.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const uint64_t data_bytes = bytes.size() - kLengthBytes - header_len;
  const std::byte* data = bytes.data() + kLengthBytes + header_len;
  uint64_t expected_begin = 0;
  const std::string* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin != expected_begin) {
      std::string what = e.begin < expected_begin ? "overlaps" : "leaves a gap after";
      throw Error(where + ": tensor \"" + e.record.name + "\" data_offsets [" + std::to_string(e.begin) + ", " +
                  std::to_string(e.end) + "] " + what +
                  (previous ? " tensor \"" + *previous + "\"" : std::string(" the start of the data area")) +
                  " (expected it to begin at " + std::to_string(expected_begin) + ")");
    }
    if (e.end > data_bytes) {
      throw Error(where + ": tensor \"" + e.record.name + "\" data_offsets end at " + std::to_string(e.end) +
                  ", past the " + std::to_string(data_bytes) + "-byte data area (file truncated?)");
    }
    expected_begin = e.end;
    previous = &e.record.name;
  }
  if (expected_begin != data_bytes) {
    throw Error(where + ": tensors cover " + std::to_string(expected_begin) + " bytes of the " +
                std::to_string(data_bytes) + "-byte data area; the rest belongs to no tensor");
  }

  std::vector<TensorRecord> records;
  records.reserve(entries.size());
  for (Entry& e : entries) {
    e.record.data = e.record.nbytes > 0 ? data + e.begin : data;
    records.push_back(std::move(e.record));
  }
  return records;
}

namespace {

// The 8-byte length and the JSON header, padded so that the data area starts at a 64-byte offset.
std::string SafetensorsPreamble(const std::string& where, const std::vector<TensorRecord>& tensors,
                                const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const TensorRecord& t : tensors) {
    if (header.contains(t.name)) {
      throw Error("cannot write " + where + ": tensor name \"" + t.name + "\" appears twice",
                  ErrorKind::kInvalidArgument);
    }
    const size_t expected = static_cast<size_t>(t.numel()) * DTypeSize(t.dtype);
    if (t.nbytes != expected) {
      throw Error("cannot write " + where + ": tensor \"" + t.name + "\" has " + std::to_string(t.nbytes) +
                      " bytes, its shape needs " + std::to_string(expected),
                  ErrorKind::kInvalidArgument);
    }
    header[t.name] = {{"dtype", DTypeName(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string text = header.dump();
  // Spaces up to a 64-byte boundary for the data area (8-byte aligned, as the format asks, and aligned
  // for SIMD loads when the file is mapped).
  text.append((64 - (sizeof(uint64_t) + text.size()) % 64) % 64, ' ');
  const uint64_t len = text.size();
  return std::string(reinterpret_cast<const char*>(&len), sizeof len) + text;
}

}  // namespace

void WriteSafetensors(const std::filesystem::path& path, const std::vector<TensorRecord>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string preamble = SafetensorsPreamble(path.string(), tensors, metadata);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot create " + path.string() + ": " + std::strerror(errno), ErrorKind::kIo);
  out.write(preamble.data(), static_cast<std::streamsize>(preamble.size()));
  for (const TensorRecord& t : tensors) {
    if (t.nbytes > 0) out.write(reinterpret_cast<const char*>(t.data), static_cast<std::streamsize>(t.nbytes));
  }
  out.close();
  if (!out) throw Error("cannot write " + path.string() + ": " + std::strerror(errno), ErrorKind::kIo);
}

std::string EncodeSafetensors(const std::vector<TensorRecord>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  std::string bytes = SafetensorsPreamble("safetensors", tensors, metadata);
  for (const TensorRecord& t : tensors) bytes.append(reinterpret_cast<const char*>(t.data), t.nbytes);
  return bytes;
}

std::unique_ptr<TensorSource> OpenSafetensors(const std::filesystem::path& file) {
  return std::make_unique<SafetensorsSource>(file);
}

}  // namespace vit::io
