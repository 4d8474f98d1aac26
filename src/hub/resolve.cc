#include "hub/resolve.h"

#include <cstdio>
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

fs::path ResolveModel(const std::string& model, const HubOptions& options) {
  std::error_code error;
  if (fs::is_directory(model, error)) return model;
  if (PathExists(model)) {
    throw Error("model '" + model + "' is a file; expected a folder with config.json and the weights, or a hub id",
                ErrorKind::kInvalidArgument);
  }
  if (!LooksLikeHubId(model)) {
    throw Error("model '" + model + "' is not a folder, nor a hub id org/name[@revision]", ErrorKind::kNotFound);
  }
  const HubModelId id = ParseHubModelId(model, options.revision);
  HubSettings settings = ResolveHubSettings(options);
  if (settings.offline) return FindCachedSnapshot(RepoCache(settings.cache_dir, id.repo_id), id.revision,
                                                  kOfflineReason);
  HubSession session(std::move(settings), id.repo_id);
  try {
    return DownloadFromHubOrCache(session, id.revision);
  } catch (const Error& failure) {
    // "org/name" may as well have been meant as a relative folder: say that it is not one either.
    if (failure.kind() != ErrorKind::kNotFound && failure.kind() != ErrorKind::kUnauthorized) throw;
    throw Error(std::string(failure.what()) + " (and there is no local folder '" + model + "')", failure.kind());
  }
}

}  // namespace vit::hub

namespace vit {

std::filesystem::path DownloadModel(const std::string& id, const HubOptions& options) {
  return hub::DownloadHubModel(id, options);
}

}  // namespace vit
