#include "io/tensor_source.h"

#include <bit>
#include <cstring>
#include <string>

#include "vit/error.h"

namespace vit::io {

static_assert(std::endian::native == std::endian::little,
              "weight files are little-endian; a big-endian host would need byte swaps");

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF64:
    case DType::kI64:
      return 8;
    case DType::kF32:
    case DType::kI32:
      return 4;
    case DType::kF16:
    case DType::kBF16:
    case DType::kI16:
      return 2;
    case DType::kI8:
    case DType::kU8:
    case DType::kBool:
      return 1;
  }
  throw Error("unknown DType value " + std::to_string(static_cast<int>(dtype)), ErrorKind::kInternal);
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF64: return "F64";
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
    case DType::kI16: return "I16";
    case DType::kI8: return "I8";
    case DType::kU8: return "U8";
    case DType::kBool: return "BOOL";
  }
  throw Error("unknown DType value " + std::to_string(static_cast<int>(dtype)), ErrorKind::kInternal);
}

int64_t TensorRecord::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // parsers reject shapes whose product overflows
  return n;
}

const TensorRecord* TensorSource::Find(std::string_view name) const {
  for (const TensorRecord& record : tensors()) {
    if (record.name == name) return &record;
  }
  return nullptr;
}

void TensorSource::CopyBytes(const TensorRecord& tensor, std::byte* out) const {
  if (tensor.nbytes != 0) std::memcpy(out, tensor.data, tensor.nbytes);
}

namespace {

// IEEE binary16 to binary32; every half value, subnormals, infinities and NaN payloads included,
// has an exact float32 image.
float HalfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: renormalise into float32's wider exponent range
      uint32_t e = 127 - 15 + 1;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        --e;
      }
      bits = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(bits);
}

template <typename T>
T LoadUnaligned(const std::byte* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

// The record's byte count, checked against its shape and dtype (a mismatch is a parser's bug).
size_t CheckedBytes(const TensorRecord& record) {
  const size_t expected = static_cast<size_t>(record.numel()) * DTypeSize(record.dtype);
  if (record.nbytes != expected || (expected > 0 && record.data == nullptr)) {
    throw Error("tensor " + record.name + ": holds " + std::to_string(record.nbytes) + " bytes, expected " +
                    std::to_string(expected),
                ErrorKind::kInternal);
  }
  return expected;
}

}  // namespace

void CopyAsFloat32(const TensorRecord& record, float* out) {
  const int64_t n = record.numel();
  const size_t expected = CheckedBytes(record);
  const std::byte* src = record.data;
  switch (record.dtype) {
    case DType::kF32:
      if (n > 0) std::memcpy(out, src, expected);
      return;
    case DType::kF64:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(LoadUnaligned<double>(src + 8 * i));
      return;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) out[i] = HalfToFloat(LoadUnaligned<uint16_t>(src + 2 * i));
      return;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        out[i] = std::bit_cast<float>(static_cast<uint32_t>(LoadUnaligned<uint16_t>(src + 2 * i)) << 16);
      }
      return;
    default:
      throw Error("tensor " + record.name + ": dtype " + std::string(DTypeName(record.dtype)) +
                      " cannot be read as float32 (expected F32, F16, BF16 or F64)",
                  ErrorKind::kUnsupported);
  }
}

void ReadAsFloat32(const TensorSource& source, const TensorRecord& record, float* out) {
  if (record.dtype != DType::kF32) return CopyAsFloat32(record, out);
  CheckedBytes(record);
  source.CopyBytes(record, reinterpret_cast<std::byte*>(out));
}

namespace {

constexpr const char* kCheckpointNames[] = {
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
};

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::unique_ptr<TensorSource> OpenWeightsFile(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  if (EndsWith(name, ".index.json")) return OpenShardedCheckpoint(file);
  if (EndsWith(name, ".safetensors")) return OpenSafetensors(file);
  if (EndsWith(name, ".bin") || EndsWith(name, ".pt") || EndsWith(name, ".pth")) {
    return OpenTorchCheckpoint(file);
  }
  throw Error(file.string() +
                  ": unknown weights file type (expected .safetensors, .bin, .pt, .pth or .index.json)",
              ErrorKind::kUnsupported);
}

}  // namespace

std::filesystem::path FindCheckpointFile(const std::filesystem::path& model_dir) {
  std::error_code ec;
  for (const char* name : kCheckpointNames) {
    std::filesystem::path candidate = model_dir / name;
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
  }
  return {};
}

std::unique_ptr<TensorSource> OpenCheckpoint(const std::filesystem::path& model_dir) {
  std::error_code ec;
  // A weights file named directly is opened as what its name says.
  if (std::filesystem::is_regular_file(model_dir, ec)) return OpenWeightsFile(model_dir);
  if (!std::filesystem::is_directory(model_dir, ec)) {
    throw Error("model folder " + model_dir.string() + " does not exist", ErrorKind::kNotFound);
  }
  std::filesystem::path file = FindCheckpointFile(model_dir);
  if (file.empty()) {
    std::string looked_for;
    for (const char* name : kCheckpointNames) looked_for += std::string(looked_for.empty() ? "" : ", ") + name;
    throw Error("no weights in " + model_dir.string() + ": looked for " + looked_for, ErrorKind::kNotFound);
  }
  return OpenWeightsFile(file);
}

TensorRecord F32Record(const std::string& name, const vit::Tensor& tensor) {
  TensorRecord r;
  r.name = name;
  r.dtype = DType::kF32;
  r.shape = tensor.shape();
  r.data = reinterpret_cast<const std::byte*>(tensor.data());
  r.nbytes = static_cast<size_t>(tensor.numel()) * sizeof(float);
  return r;
}

}  // namespace vit::io
