// Whole files read with their size known first: only regular files (a FIFO, /dev/zero or a terminal
// would never end, or end at bad_alloc), and never more bytes than the caller's limit. Errors name the
// file: kNotFound when it does not exist, kInvalidArgument for a folder or a special file or one over
// the limit, kIo when reading fails.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vit::io {

// `what` says what the file should be ("a JSON file", "an image"), for the messages.
std::vector<uint8_t> ReadRegularFile(const std::filesystem::path& path, uint64_t max_bytes, const std::string& what);
std::string ReadRegularTextFile(const std::filesystem::path& path, uint64_t max_bytes, const std::string& what);

}  // namespace vit::io
