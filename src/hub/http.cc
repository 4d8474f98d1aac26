#include "hub/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <mutex>

namespace vit::hub {
namespace {

constexpr long kConnectTimeoutSeconds = 10;
constexpr long kMetadataTimeoutSeconds = 10;  // huggingface_hub's etag_timeout
constexpr long kStallSeconds = 30;            // a transfer below 1 byte/s this long is dropped
constexpr size_t kMaxErrorBodyBytes = 2048;
constexpr size_t kMaxHeaderBytes = 64 * 1024;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw Error("libcurl failed to initialise", ErrorKind::kInternal);
  });
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string TrimSpaces(const std::string& text) {
  size_t begin = 0, end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r' ||
                         text[end - 1] == '\n'))
    --end;
  return text.substr(begin, end - begin);
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void Add(const std::string& header) {
    curl_slist* grown = curl_slist_append(list, header.c_str());
    if (grown == nullptr) throw Error("out of memory for HTTP headers", ErrorKind::kInternal);
    list = grown;
  }
};

struct Transfer {
  HttpResponse response;
  const BodySink* sink = nullptr;
  size_t header_bytes = 0;
  std::exception_ptr error;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  transfer->header_bytes += bytes;
  if (transfer->header_bytes > kMaxHeaderBytes) return 0;  // a hostile server's endless headers
  const std::string line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after 100 Continue, or a proxy's CONNECT): start over.
    transfer->response.headers.clear();
    const size_t space = line.find(' ');
    transfer->response.status = space == std::string::npos ? 0 : std::strtol(line.c_str() + space + 1, nullptr, 10);
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon != std::string::npos)
    transfer->response.headers[Lower(TrimSpaces(line.substr(0, colon)))] = TrimSpaces(line.substr(colon + 1));
  return bytes;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  const long status = transfer->response.status;
  if (status >= 200 && status < 300) {
    if (transfer->sink == nullptr) return bytes;
    try {
      (*transfer->sink)(transfer->response, data, bytes);
    } catch (...) {
      transfer->error = std::current_exception();
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    return bytes;
  }
  std::string& body = transfer->response.error_body;
  body.append(data, std::min(bytes, kMaxErrorBodyBytes - std::min(body.size(), kMaxErrorBodyBytes)));
  return bytes;
}

}  // namespace

const std::string& HttpResponse::Header(const std::string& lower_case_name) const {
  static const std::string kEmpty;
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? kEmpty : it->second;
}

HttpClient::HttpClient() {
  InitCurlOnce();
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw Error("libcurl could not create a handle", ErrorKind::kInternal);
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpClient::Head(const std::string& url, const std::string& token) {
  return Perform(url, token, /*head=*/true, 0, nullptr);
}

HttpResponse HttpClient::Get(const std::string& url, const std::string& token, int64_t range_start,
                             const BodySink& sink) {
  return Perform(url, token, /*head=*/false, range_start, &sink);
}

HttpResponse HttpClient::Perform(const std::string& url, const std::string& token, bool head, int64_t range_start,
                                 const BodySink* sink) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // keeps open connections, drops the last request's options
  Transfer transfer;
  transfer.response.url = url;
  transfer.sink = sink;

  HeaderList headers;
  headers.Add("Accept-Encoding: identity");
  if (!token.empty()) headers.Add("Authorization: Bearer " + token);

  char error_text[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "vit/0.1.0; libcurl/" LIBCURL_VERSION);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (head) {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, kMetadataTimeoutSeconds);
  } else {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, kStallSeconds);
    if (range_start > 0) {
      const std::string range = std::to_string(range_start) + "-";
      curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());  // copied by curl
    }
  }

  const CURLcode code = curl_easy_perform(curl);
  // Nothing of this call's stack may stay registered in the handle.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (transfer.error) std::rethrow_exception(transfer.error);
  if (code != CURLE_OK) {
    const std::string detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
    throw HubUnreachable("cannot " + std::string(head ? "reach " : "download ") + UrlForMessage(url) + ": " + detail);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  transfer.response.status = status;
  char* redirect = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect != nullptr)
    transfer.response.redirect_url = redirect;
  return transfer.response;
}

std::string UrlOrigin(const std::string& url) {
  InitCurlOnce();
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return "";
  std::string origin;
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
      origin = Lower(std::string(scheme) + "://" + host + ":" + port);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(parsed);
  return origin;
}

std::string UrlForMessage(const std::string& url) { return url.substr(0, url.find('?')); }

std::string UrlEncode(const std::string& text, bool keep_slashes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    const bool unreserved = std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slashes && c == '/')) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return encoded;
}

}  // namespace vit::hub
