// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the data
// area, which the tensors' offsets must tile exactly. Every rule of the reference implementation is
// checked, so a hostile file is an error and never an out-of-bounds read.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/tensor_source.h"

namespace vit::io {

// The largest header accepted, as in the reference implementation.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

// "F32" -> kF32, ...; nullopt for names this library does not read.
std::optional<DType> ParseDTypeName(std::string_view name);

// Validates a whole file image; records point into `bytes`, in data-area order. `where` names the
// file in error messages. The string values of __metadata__ go to `metadata` when given.
std::vector<TensorRecord> ParseSafetensors(std::span<const std::byte> bytes, const std::string& where,
                                           std::map<std::string, std::string>* metadata = nullptr);

// Writes records (data read from record.data) in the given order, the header padded so that the data
// area starts at a 64-byte file offset.
void WriteSafetensors(const std::filesystem::path& path, const std::vector<TensorRecord>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
// The same file's bytes, for writers that put them in place themselves (io::FileSet).
std::string EncodeSafetensors(const std::vector<TensorRecord>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

}  // namespace vit::io
