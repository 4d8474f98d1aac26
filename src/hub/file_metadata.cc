#include "hub/file_metadata.h"

#include <cerrno>
#include <cstdlib>

#include "hub/cache.h"
#include "hub/repo_id.h"
#include "vit/error.h"

namespace vit::hub {
namespace {

constexpr int kMaxRelativeRedirects = 5;

std::optional<int64_t> ParseSize(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  return std::strtoll(text.c_str(), nullptr, 10);
}

// A Location without scheme and host: the hub moved the repository, not the file to a CDN.
bool IsRelativeLocation(const std::string& location) {
  return !location.empty() && location.front() == '/' && location.rfind("//", 0) != 0;
}

std::string HubErrorDetail(const HttpResponse& response) {
  const std::string& message = response.Header("x-error-message");
  return message.empty() ? "" : ": " + message;
}

}  // namespace

std::string ResolveUrl(const std::string& endpoint, const std::string& repo_id, const std::string& revision,
                       const std::string& filename) {
  // As hf_hub_url: the revision is one path segment ("refs/pr/1" -> refs%2Fpr%2F1), the file keeps its '/'.
  return endpoint + "/" + repo_id + "/resolve/" + UrlEncode(revision, false) + "/" + UrlEncode(filename, true);
}

std::string NormalizeEtag(const std::string& etag) {
  std::string value = etag;
  if (value.rfind("W/", 0) == 0) value.erase(0, 2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  return value;
}

void ThrowForHubStatus(const HttpResponse& response, const HubSession& session, const std::string& revision,
                       const std::string& filename) {
  const std::string& repo = session.cache.repo_id();
  const std::string& endpoint = session.settings.endpoint;
  const std::string& code = response.Header("x-error-code");
  const std::string status = " (HTTP " + std::to_string(response.status) + HubErrorDetail(response) + ")";
  const bool has_token = !session.settings.token.empty();
  const std::string token_page = endpoint + "/settings/tokens";
  if (code == "GatedRepo") {
    throw Error(has_token ? repo + " is a gated model and the token in HF_TOKEN (or $HF_HOME/token) has no access "
                                "to it: accept its conditions at " + endpoint + "/" + repo +
                                " with that token's account" + status
                          : repo + " is a gated model: accept its conditions at " + endpoint + "/" + repo +
                                ", then set HF_TOKEN to an access token of that account (" + token_page + ")" +
                                status,
                ErrorKind::kUnauthorized);
  }
  if (response.status == 401 || response.status == 403) {
    throw Error("the hub refused " + repo + status +
                    (has_token ? ": it does not exist, or the token in HF_TOKEN (or $HF_HOME/token) has no access "
                                 "to it"
                               : ": it does not exist, or it is private or gated; if you have access, set HF_TOKEN "
                                 "to an access token (" + token_page + ")"),
                ErrorKind::kUnauthorized);
  }
  if (response.status == 404) {
    if (code == "RevisionNotFound")
      throw Error("revision '" + revision + "' not found in " + repo + status, ErrorKind::kNotFound);
    if (code == "EntryNotFound")
      throw Error(filename + " not found in " + repo + " at revision '" + revision + "'" + status,
                  ErrorKind::kNotFound);
    throw Error(repo + " not found on " + endpoint + status + " (is HF_ENDPOINT a Hugging Face hub?)",
                ErrorKind::kNotFound);
  }
  if (response.status == 429 || response.status >= 500) {
    throw HubUnreachable("the hub could not answer for " + filename + " of " + repo + status + ": try again later");
  }
  throw Error("unexpected answer for " + UrlForMessage(response.url) + status, ErrorKind::kIo);
}

std::optional<FileMetadata> FetchFileMetadata(HubSession& session, const std::string& revision,
                                              const std::string& filename, std::string* missing_in_commit) {
  std::string url = ResolveUrl(session.settings.endpoint, session.cache.repo_id(), revision, filename);
  HttpResponse response;
  for (int hop = 0;; ++hop) {
    response = session.http.Head(url, session.settings.token);
    if (!(response.IsRedirect() && IsRelativeLocation(response.Header("location")))) break;
    if (hop == kMaxRelativeRedirects) throw Error("too many redirects from " + UrlForMessage(url), ErrorKind::kIo);
    url = response.redirect_url;
  }

  // The file is missing from an existing revision: the hub says EntryNotFound and names the commit.
  // A bare 404 says nothing of the sort (a wrong HF_ENDPOINT) and is an error.
  const std::string& error_code = response.Header("x-error-code");
  if (response.status == 404 &&
      (error_code == "EntryNotFound" || (error_code.empty() && !response.Header("x-repo-commit").empty()))) {
    if (missing_in_commit != nullptr) {
      const std::string& commit = response.Header("x-repo-commit");
      *missing_in_commit = IsCommitHash(commit) ? commit : "";
    }
    return std::nullopt;
  }
  if (!(response.status >= 200 && response.status < 300) && !response.IsRedirect())
    ThrowForHubStatus(response, session, revision, filename);

  const std::string where = " from " + UrlForMessage(url);
  FileMetadata metadata;
  metadata.commit = response.Header("x-repo-commit");
  if (!IsCommitHash(metadata.commit)) {
    throw Error("the answer" + where + " has " +
                    (metadata.commit.empty() ? "no X-Repo-Commit header" : "X-Repo-Commit '" + metadata.commit + "'") +
                    ": " + session.settings.endpoint +
                    " does not look like a Hugging Face hub (check HF_ENDPOINT and proxy settings)",
                ErrorKind::kIo);
  }
  const std::string& linked_etag = response.Header("x-linked-etag");
  metadata.etag = NormalizeEtag(!linked_etag.empty() ? linked_etag : response.Header("etag"));
  if (!IsSafeEtag(metadata.etag)) {
    throw Error("the answer" + where + " has " +
                    (metadata.etag.empty() ? "no ETag" : "an unusable ETag '" + metadata.etag.substr(0, 80) + "'") +
                    "; without it the file cannot be cached reliably",
                ErrorKind::kIo);
  }
  const std::string& linked_size = response.Header("x-linked-size");
  const std::optional<int64_t> size = ParseSize(!linked_size.empty() ? linked_size : response.Header("content-length"));
  if (!size) throw Error("the answer" + where + " gives no file size (X-Linked-Size or Content-Length)", ErrorKind::kIo);
  metadata.size = *size;
  metadata.download_url = response.IsRedirect() ? response.redirect_url : url;
  return metadata;
}

}  // namespace vit::hub
