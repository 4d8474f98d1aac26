// Hugging Face hub models in the huggingface_hub cache (HF_HUB_CACHE, HF_HOME, ...), shared with
// Python's transformers: what one downloads, the other uses.
#pragma once

#include <filesystem>
#include <string>

#include "vit/options.h"

namespace vit {

// Downloads what Model::Load needs from hub id "org/name[@revision]" (config.json,
// preprocessor_config.json, the weights and their shards) into the cache, skipping what is already
// there, and returns the snapshot folder. With options.offline (or HF_HUB_OFFLINE) it only checks that
// the cache holds the model. Throws vit::Error: kInvalidArgument (a malformed id), kNotFound (no such
// repository, revision or file; or not cached when offline), kUnauthorized (private or gated: set
// HF_TOKEN), kIo (network or disk; a cut download is kept as .incomplete and resumed next time).
std::filesystem::path DownloadModel(const std::string& id, const HubOptions& options = {});

// The folder Model::Load reads for `model`: a local folder as it is, or a hub id's snapshot folder
// (DownloadModel). A value that starts with ./, ../, / or ~, ends with /, has more than one '/', or whose
// first part is an existing folder is a path: a missing one is a kNotFound error saying so. Hub failures
// say how to work without the hub.
std::filesystem::path ResolveModel(const std::string& model, const HubOptions& options = {});

}  // namespace vit
