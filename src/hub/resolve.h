// Turns what a user passes as --model into a local folder: a folder as it is, a hub id
// "org/name[@revision]" through the huggingface_hub cache (downloading what is missing unless offline).
#pragma once

#include <filesystem>
#include <string>

#include "vit/options.h"

namespace vit::hub {

// True when `model` has the shape of a hub id (org/name[@revision]) and is not an existing path.
bool LooksLikeHubId(const std::string& model);

// A folder is returned as it is. A hub id is resolved to its snapshot folder: from the cache alone when
// offline (HubOptions::offline, else HF_HUB_OFFLINE), otherwise by downloading what is missing; if the
// hub cannot be reached, a complete cached snapshot of that revision is used with a warning on stderr.
std::filesystem::path ResolveModel(const std::string& model, const HubOptions& options);

// Fills the cache for a hub id and returns its snapshot folder; never falls back to the cache when the
// hub cannot be reached (that is the point of downloading). Offline, it only checks the cache.
std::filesystem::path DownloadHubModel(const std::string& id, const HubOptions& options);

}  // namespace vit::hub
