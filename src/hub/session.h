// What every step of a hub download shares: the settings, the repository's cache folder and one HTTP
// client (so connections are reused from file to file).
#pragma once

#include <string>

#include "hub/cache.h"
#include "hub/http.h"
#include "hub/settings.h"

namespace vit::hub {

struct HubSession {
  HubSession(HubSettings hub_settings, const std::string& repo_id)
      : settings(std::move(hub_settings)), cache(settings.cache_dir, repo_id) {}

  HubSettings settings;
  RepoCache cache;
  HttpClient http;
};

}  // namespace vit::hub
