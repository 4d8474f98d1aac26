#include "serve/inflate.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>

#include "serve/http.h"

namespace vit::serve {
namespace {

std::string Trimmed(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  std::string s(v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class ZStream {
 public:
  explicit ZStream(int window_bits) {
    if (inflateInit2(&z_, window_bits) != Z_OK) throw HttpError(503, "cannot start inflating the request body");
  }
  ~ZStream() { inflateEnd(&z_); }
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;
  z_stream* get() { return &z_; }

 private:
  z_stream z_ = {};
};

// Returns false when the stream is not of this format from its first bytes (deflate without zlib's
// header is retried raw).
bool TryInflate(std::string_view in, int window_bits, size_t max_bytes, std::string& out) {
  ZStream stream(window_bits);
  z_stream* z = stream.get();
  z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z->avail_in = static_cast<uInt>(in.size());
  constexpr size_t kChunk = 64 * 1024;
  out.clear();
  for (;;) {
    const size_t used = out.size();
    // One chunk past the limit is enough to know the body is over it.
    out.resize(used + kChunk);
    z->next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z->avail_out = static_cast<uInt>(kChunk);
    const int rc = inflate(z, Z_NO_FLUSH);
    out.resize(used + (kChunk - z->avail_out));
    if (out.size() > max_bytes)
      throw HttpError(413, "request body exceeds the limit of " + std::to_string(max_bytes) +
                               " bytes once inflated (--max-body-mb)");
    if (rc == Z_STREAM_END) {
      if (z->avail_in != 0) throw HttpError(400, "request body: data after the end of the compressed stream");
      return true;
    }
    if (rc == Z_DATA_ERROR && z->total_out == 0 && window_bits > 0 && window_bits < 16) return false;
    if (rc == Z_BUF_ERROR && z->avail_in == 0)
      throw HttpError(400, "request body: the compressed stream is truncated");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      throw HttpError(400, std::string("request body: invalid compressed data (") + (z->msg ? z->msg : "zlib") + ")");
  }
}

}  // namespace

ContentCoding ParseContentCoding(std::string_view value) {
  const std::string v = Trimmed(value);
  if (v.empty() || v == "identity") return ContentCoding::kIdentity;
  if (v == "gzip" || v == "x-gzip") return ContentCoding::kGzip;
  if (v == "deflate") return ContentCoding::kDeflate;
  return ContentCoding::kUnsupported;
}

std::string Inflate(std::string_view compressed, ContentCoding coding, size_t max_bytes) {
  std::string out;
  switch (coding) {
    case ContentCoding::kIdentity: return std::string(compressed);
    case ContentCoding::kGzip: TryInflate(compressed, 16 + MAX_WBITS, max_bytes, out); return out;
    case ContentCoding::kDeflate:
      // RFC 9110's deflate is the zlib format; some clients send raw deflate.
      if (!TryInflate(compressed, MAX_WBITS, max_bytes, out)) TryInflate(compressed, -MAX_WBITS, max_bytes, out);
      return out;
    case ContentCoding::kUnsupported: break;
  }
  throw HttpError(415, "unsupported Content-Encoding");
}

}  // namespace vit::serve
