#include "hub/repo_id.h"

#include "vit/error.h"

namespace vit::hub {
namespace {

constexpr size_t kMaxRepoIdLength = 96;  // huggingface_hub's limit
constexpr size_t kMaxRevisionLength = 255;

bool IsRepoNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

// One side of "org/name": word characters, '-' and '.', not starting or ending with '-' or '.'.
bool IsValidRepoPart(std::string_view part) {
  if (part.empty()) return false;
  for (char c : part)
    if (!IsRepoNameChar(c)) return false;
  const auto edge = [](char c) { return c == '-' || c == '.'; };
  return !edge(part.front()) && !edge(part.back());
}

}  // namespace

bool IsValidRepoId(std::string_view repo_id) {
  if (repo_id.size() > kMaxRepoIdLength) return false;
  // "--" would make two ids share one cache folder; ".." could walk out of it.
  if (repo_id.find("--") != std::string_view::npos || repo_id.find("..") != std::string_view::npos) return false;
  const size_t slash = repo_id.find('/');
  if (slash == std::string_view::npos) return false;
  return IsValidRepoPart(repo_id.substr(0, slash)) && IsValidRepoPart(repo_id.substr(slash + 1));
}

bool IsCommitHash(std::string_view revision) {
  if (revision.size() != 40) return false;
  for (char c : revision)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool IsValidRevision(std::string_view revision) {
  if (revision.empty() || revision.size() > kMaxRevisionLength) return false;
  if (revision.front() == '/' || revision.back() == '/') return false;
  for (char c : revision) {
    const bool ok = IsRepoNameChar(c) || c == '/' || c == '+' || c == '@' || c == '=' || c == ',';
    if (!ok) return false;
  }
  // Every '/'-separated part must be a plain name: no "", "." or "..".
  size_t start = 0;
  while (start <= revision.size()) {
    size_t end = revision.find('/', start);
    if (end == std::string_view::npos) end = revision.size();
    const std::string_view part = revision.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

HubModelId ParseHubModelId(const std::string& text, const std::string& revision_option) {
  HubModelId id;
  const size_t at = text.find('@');
  id.repo_id = text.substr(0, at);
  const std::string id_revision = at == std::string::npos ? "" : text.substr(at + 1);
  if (!IsValidRepoId(id.repo_id)) {
    throw Error("'" + text +
                    "' is neither a model folder nor a hub id: expected org/name[@revision] with letters, digits, "
                    "'-', '_' and '.' (at most 96 characters, no '--' or '..')",
                ErrorKind::kInvalidArgument);
  }
  if (at != std::string::npos && id_revision.empty()) {
    throw Error("'" + text + "': nothing after '@', expected a branch, tag or commit", ErrorKind::kInvalidArgument);
  }
  if (!id_revision.empty() && !revision_option.empty() && id_revision != revision_option) {
    throw Error("'" + text + "' names revision '" + id_revision + "' but --revision is '" + revision_option +
                    "': give one of them",
                ErrorKind::kInvalidArgument);
  }
  id.revision = !id_revision.empty() ? id_revision : !revision_option.empty() ? revision_option : "main";
  if (!IsValidRevision(id.revision)) {
    throw Error("revision '" + id.revision + "' of " + id.repo_id +
                    " is not a valid branch, tag or commit name",
                ErrorKind::kInvalidArgument);
  }
  return id;
}

std::string RepoFolderName(const std::string& repo_id) {
  std::string name = "models--";
  for (char c : repo_id) {
    if (c == '/')
      name += "--";
    else
      name += c;
  }
  return name;
}

}  // namespace vit::hub
