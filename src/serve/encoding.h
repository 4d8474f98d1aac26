// Byte and number encodings of the wire formats: base64 (RFC 4648, both alphabets), data: URLs, and
// float arrays as JSON text that reads back to the same float32 bits.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vit::serve {

// Standard ('+/') or URL-safe ('-_') alphabet, padding optional, ASCII whitespace ignored. Throws
// vit::Error(kInvalidArgument) naming `what` and the offset of the first bad character.
std::vector<uint8_t> Base64Decode(std::string_view text, const std::string& what);
std::string Base64Encode(std::span<const uint8_t> bytes);

// An image as the JSON APIs carry it: "data:image/png;base64,...." or bare base64. Remote URLs are
// refused (the server fetches nothing). Throws vit::Error(kInvalidArgument) naming `what`.
std::vector<uint8_t> DecodeImageString(std::string_view text, const std::string& what);

// Appends "[v0,v1,...]": each float in the shortest form that parses back to the same float32
// (std::to_chars); non-finite values, which JSON cannot carry, become null.
void AppendJsonFloats(std::string& out, std::span<const float> values);

}  // namespace vit::serve
