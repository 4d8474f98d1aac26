// Where a hub id's files come from and go to: HubOptions filled in from the environment the way
// huggingface_hub reads it, so both tools share one cache, one endpoint and one token.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "vit/options.h"

namespace vit::hub {

struct HubSettings {
  std::string endpoint;              // no trailing '/'
  std::string token;                 // empty: anonymous
  bool offline = false;
  std::filesystem::path cache_dir;   // the hub cache (holds models--org--name/)
  bool progress = true;              // wanted by the caller; shown only on a terminal
};

// Reads one environment variable; unset and empty both read as nullopt. Replaceable in tests.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
std::optional<std::string> ProcessEnv(const char* name);

// Fields of `options` win; empty ones fall back to:
//   endpoint  HF_ENDPOINT, else https://huggingface.co
//   token     HF_TOKEN, HUGGING_FACE_HUB_TOKEN, else the file HF_TOKEN_PATH or $HF_HOME/token
//   offline   HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE in {1, ON, YES, TRUE}
//   cache     HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub,
//             ~/.cache/huggingface/hub
//   progress  off when HF_HUB_DISABLE_PROGRESS_BARS is true
HubSettings ResolveHubSettings(const HubOptions& options, const EnvLookup& env = ProcessEnv);

// huggingface_hub's truthy spellings of a boolean environment variable.
bool IsTrueValue(const std::string& value);

}  // namespace vit::hub
