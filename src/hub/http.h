// A small libcurl client for the hub: one request per call, redirects never followed by curl (the
// caller decides where a token may go), headers collected by name, transport failures as
// HubUnreachable. Proxies come from the usual environment variables (https_proxy, no_proxy).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "vit/error.h"

namespace vit::hub {

// The network failed or the hub is down (no answer, reset, timeout, 5xx): the cache may still serve.
class HubUnreachable : public Error {
 public:
  explicit HubUnreachable(const std::string& message) : Error(message, ErrorKind::kIo) {}
};

struct HttpResponse {
  long status = 0;
  std::string url;                                // the URL asked
  std::string redirect_url;                       // a 3xx's Location made absolute
  std::map<std::string, std::string> headers;     // names in lower case
  std::string error_body;                         // the start of a non-2xx body, for messages

  // The header's value, or "" when absent.
  const std::string& Header(const std::string& lower_case_name) const;
  bool IsRedirect() const { return status >= 300 && status < 400 && !redirect_url.empty(); }
};

// Receives the body of a 2xx response; throwing aborts the transfer and the exception propagates.
using BodySink = std::function<void(const HttpResponse& head, const char* data, size_t size)>;

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // HEAD with Accept-Encoding: identity, so that Content-Length is the real size.
  HttpResponse Head(const std::string& url, const std::string& token);
  // GET from byte `range_start` on (0: the whole body). The sink sees only 2xx bodies.
  HttpResponse Get(const std::string& url, const std::string& token, int64_t range_start, const BodySink& sink);

 private:
  HttpResponse Perform(const std::string& url, const std::string& token, bool head, int64_t range_start,
                       const BodySink* sink);
  void* curl_;
};

// "scheme://host:port" in lower case with the default port filled in; "" for an unparsable URL.
std::string UrlOrigin(const std::string& url);
// The URL without its query: signed CDN URLs carry credentials that do not belong in messages.
std::string UrlForMessage(const std::string& url);
// Percent-encodes everything but unreserved characters; '/' too when `keep_slashes` is false.
std::string UrlEncode(const std::string& text, bool keep_slashes);

}  // namespace vit::hub
