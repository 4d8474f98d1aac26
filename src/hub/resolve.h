// Turns what a user passes as --model into a local folder: a folder as it is, a hub id
// "org/name[@revision]" through the huggingface_hub cache (downloading what is missing unless offline).
#pragma once

#include <filesystem>
#include <string>

#include "vit/options.h"

namespace vit::hub {

bool LooksLikeHubId(const std::string& model);
std::filesystem::path ResolveModel(const std::string& model, const HubOptions& options);

}  // namespace vit::hub
