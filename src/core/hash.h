// A short, stable name for a long key (the caches name their files by it): 64-bit FNV-1a. Not for
// anything adversarial; a file found under the name still has its full key checked.
#pragma once

#include <cstdint>
#include <string_view>

namespace vit::core {

inline uint64_t Fnv1a64(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;  // the FNV offset basis
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace vit::core
