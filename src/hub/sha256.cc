#include "hub/sha256.h"

#include <openssl/evp.h>

#include "vit/error.h"

namespace vit::hub {

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr) throw Error("out of memory for a SHA-256 context", ErrorKind::kInternal);
  Reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

void Sha256::Reset() {
  if (EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1)
    throw Error("OpenSSL could not start a SHA-256 digest", ErrorKind::kInternal);
}

void Sha256::Update(const void* data, size_t size) {
  if (size != 0 && EVP_DigestUpdate(context_, data, size) != 1)
    throw Error("OpenSSL could not update a SHA-256 digest", ErrorKind::kInternal);
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_, digest, &length) != 1)
    throw Error("OpenSSL could not finish a SHA-256 digest", ErrorKind::kInternal);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  Reset();
  return hex;
}

bool IsSha256Hex(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace vit::hub
