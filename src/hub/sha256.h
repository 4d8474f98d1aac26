// Streaming SHA-256 (OpenSSL's libcrypto): an LFS file's ETag is the SHA-256 of its contents.
#pragma once

#include <cstddef>
#include <string>

struct evp_md_ctx_st;

namespace vit::hub {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  // Lowercase hex of the digest of everything given since construction or the last Reset.
  std::string HexDigest();
  void Reset();

 private:
  evp_md_ctx_st* context_;
};

// A 64-digit lowercase hex string, the form of LFS ETags.
bool IsSha256Hex(const std::string& text);

}  // namespace vit::hub
