#include "hub/resolve.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "hub/repo_id.h"
#include "hub/session.h"
#include "hub/settings.h"
#include "hub/snapshot.h"
#include "vit/error.h"
#include "vit/hub.h"

namespace vit::hub {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOfflineReason = "offline mode (HF_HUB_OFFLINE or --offline)";

bool PathExists(const std::string& path) {
  std::error_code error;
  return fs::exists(path, error);
}

fs::path DownloadFromHubOrCache(HubSession& session, const std::string& revision) {
  try {
    return DownloadSnapshot(session, revision);
  } catch (const HubUnreachable& unreachable) {
    // As huggingface_hub: without the hub, a complete snapshot of that revision still serves.
    fs::path cached;
    try {
      cached = FindCachedSnapshot(session.cache, revision, "hub unreachable");
    } catch (const Error&) {
      throw unreachable;
    }
    std::fprintf(stderr, "vit: warning: %s; using the cached %s\n", unreachable.what(), cached.string().c_str());
    return cached;
  }
}

}  // namespace

bool LooksLikeHubId(const std::string& model) {
  return !PathExists(model) && IsValidRepoId(model.substr(0, model.find('@')));
}

fs::path DownloadHubModel(const std::string& id, const HubOptions& options) {
  const HubModelId model = ParseHubModelId(id, options.revision);
  HubSettings settings = ResolveHubSettings(options);
  if (settings.offline) return FindCachedSnapshot(RepoCache(settings.cache_dir, model.repo_id), model.revision,
                                                  kOfflineReason);
  HubSession session(std::move(settings), model.repo_id);
  return DownloadSnapshot(session, model.revision);
}

bool LooksLikePath(const std::string& model) {
  if (model.starts_with("./") || model.starts_with("../") || model.starts_with("/") || model.starts_with("~") ||
      model == "." || model == ".." || model.ends_with("/"))
    return true;
  const std::string name = model.substr(0, model.find('@'));
  if (std::count(name.begin(), name.end(), '/') > 1) return true;
  // "models/tiny" where models/ exists: a folder path with a typo in its last part, not a hub id.
  const size_t slash = name.find('/');
  std::error_code error;
  return slash != std::string::npos && fs::is_directory(name.substr(0, slash), error);
}

fs::path ResolveModel(const std::string& given, const HubOptions& options) {
  std::string model = given;
  if (model.starts_with("~/"))
    if (const char* home = std::getenv("HOME"); home && *home) model = std::string(home) + model.substr(1);
  std::error_code error;
  if (fs::is_directory(model, error)) return model;
  if (PathExists(model)) {
    throw Error("model '" + given + "' is a file; expected a folder with config.json and the weights, or a hub id",
                ErrorKind::kInvalidArgument);
  }
  if (LooksLikePath(model)) {
    fs::path existing = fs::path(model).parent_path();
    while (!existing.empty() && !fs::is_directory(existing, error)) existing = existing.parent_path();
    throw Error("model folder '" + given + "' does not exist" +
                    (existing.empty() ? std::string() : " (the nearest existing folder is '" + existing.string() + "')") +
                    "; a hub id is org/name[@revision]",
                ErrorKind::kNotFound);
  }
  if (!LooksLikeHubId(model)) {
    throw Error("model '" + given + "' is not a folder, nor a hub id org/name[@revision]", ErrorKind::kNotFound);
  }
  const HubModelId id = ParseHubModelId(model, options.revision);
  HubSettings settings = ResolveHubSettings(options);
  const std::string not_a_folder = "there is no folder '" + given + "', so it was taken as a hub id";
  const std::string offline_hint =
      ". To work offline: pass the model's local folder (config.json, preprocessor_config.json, weights), or "
      "download it once where the hub is reachable (vit download " + id.repo_id + ") and set HF_HUB_OFFLINE=1; "
      "HF_ENDPOINT names a mirror of the hub, HF_HUB_CACHE another cache";
  try {
    if (settings.offline)
      return FindCachedSnapshot(RepoCache(settings.cache_dir, id.repo_id), id.revision, kOfflineReason);
    HubSession session(std::move(settings), id.repo_id);
    return DownloadFromHubOrCache(session, id.revision);
  } catch (const Error& failure) {
    // "org/name" may as well have been meant as a relative folder: say that it is not one either, and for a
    // hub that cannot answer, how to do without it.
    const bool unreachable = failure.kind() == ErrorKind::kIo;
    const bool offline_miss = failure.kind() == ErrorKind::kNotFound && ResolveHubSettings(options).offline;
    if (!unreachable && !offline_miss && failure.kind() != ErrorKind::kNotFound &&
        failure.kind() != ErrorKind::kUnauthorized)
      throw;
    const std::string hint = unreachable    ? offline_hint
                             : offline_miss ? ". Offline, pass the model's local folder (config.json, "
                                              "preprocessor_config.json, weights) instead, or point HF_HUB_CACHE at "
                                              "a cache that holds it"
                                            : std::string();
    throw Error(std::string(failure.what()) + " (" + not_a_folder + ")" + hint, failure.kind());
  }
}

}  // namespace vit::hub

namespace vit {

std::filesystem::path DownloadModel(const std::string& id, const HubOptions& options) {
  return hub::DownloadHubModel(id, options);
}

std::filesystem::path ResolveModel(const std::string& model, const HubOptions& options) {
  return hub::ResolveModel(model, options);
}

}  // namespace vit
