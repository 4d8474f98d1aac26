#include "serve/http.h"

#include <exception>
#include <new>
#include <nlohmann/json.hpp>

namespace vit::serve {
namespace {

// text-embeddings-inference's error_type, as it spells them: Validation (its 400 and 413), Empty (no
// input), Tokenizer (its 422: input that cannot become model input, here an image that does not
// decode), Overloaded (429), Unhealthy (503), Backend (the rest of 5xx).
const char* TeiErrorType(int status, const std::string& message) {
  if (status == 400 && (message.find("empty") != std::string::npos || message.find("no images") != std::string::npos))
    return "Empty";
  if (status == 422) return "Tokenizer";
  if (status == 429) return "Overloaded";
  if (status == 503) return "Unhealthy";
  if (status >= 500) return "Backend";
  return "Validation";
}

// OpenAI's error "code" strings; its "type" is invalid_request_error for the client's errors.
const char* OpenAICode(int status) {
  switch (status) {
    case 404: return "model_not_found";
    case 413: return "request_too_large";
    case 422: return "invalid_image";
    case 429: return "rate_limit_exceeded";
    case 503: return "service_unavailable";
    case 504: return "timeout";
    default: return status >= 500 ? "server_error" : "invalid_request";
  }
}

}  // namespace

std::string Request::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

Response Response::Json(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

int HttpStatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return 400;  // the request itself is malformed
    case ErrorKind::kInvalidInput: return 422;     // well-formed request, unusable content (corrupt image)
    case ErrorKind::kUnsupported: return 422;      // valid content this model or build cannot serve
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kUnauthorized:
    case ErrorKind::kIo:
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

Response ErrorResponse(int status, const std::string& message, ErrorStyle style) {
  nlohmann::json body;
  switch (style) {
    case ErrorStyle::kTei:
      body = {{"error", message}, {"error_type", TeiErrorType(status, message)}};
      break;
    case ErrorStyle::kOpenAI:
      body = {{"error",
               {{"message", message},
                {"type", status >= 500 ? "server_error" : "invalid_request_error"},
                {"param", nullptr},
                {"code", OpenAICode(status)}}}};
      break;
    case ErrorStyle::kKServe:
      body = {{"error", message}};
      break;
  }
  // Messages may quote client bytes; replace invalid UTF-8 rather than fail to answer.
  return Response::Json(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), status);
}

Response Guarded(const Handler& handler, const Request& request, ErrorStyle style) noexcept {
  try {
    try {
      return handler(request);
    } catch (const HttpError& e) {
      Response r = ErrorResponse(e.status(), e.what(), style);
      if (e.retry_after_s() > 0) r.headers.emplace_back("Retry-After", std::to_string(e.retry_after_s()));
      return r;
    } catch (const Error& e) {
      return ErrorResponse(HttpStatusFor(e.kind()), e.what(), style);
    } catch (const nlohmann::json::exception& e) {
      // A handler read a field with the wrong type: the request is at fault.
      return ErrorResponse(400, std::string("request body: ") + e.what(), style);
    } catch (const std::bad_alloc&) {
      return ErrorResponse(503, "out of memory while serving the request", style);
    } catch (const std::exception& e) {
      return ErrorResponse(500, std::string("internal error: ") + e.what(), style);
    } catch (...) {
      return ErrorResponse(500, "internal error", style);
    }
  } catch (...) {
    // Building the error itself failed (out of memory): a bare answer still closes the request.
    Response r;
    r.status = 500;
    r.content_type = "text/plain";
    return r;
  }
}

}  // namespace vit::serve
