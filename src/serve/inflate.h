// Content-Encoding of request bodies: gzip and deflate through zlib's streaming inflate, stopped as soon
// as the output passes the body limit (a few KB that inflate to gigabytes never get that far).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vit::serve {

enum class ContentCoding { kIdentity, kGzip, kDeflate, kUnsupported };

// From a Content-Encoding value ("" and "identity" are kIdentity; a list of several codings is
// kUnsupported).
ContentCoding ParseContentCoding(std::string_view value);

// Throws HttpError(413) when the inflated body would pass `max_bytes`, HttpError(400) when the data is
// not valid for its coding.
std::string Inflate(std::string_view compressed, ContentCoding coding, size_t max_bytes);

}  // namespace vit::serve
