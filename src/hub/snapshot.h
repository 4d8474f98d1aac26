// Which files of a model repository vit needs, and getting them into one snapshot folder:
// config.json, preprocessor_config.json when the repository has one, and the weights in transformers'
// order of preference: model.safetensors, model.safetensors.index.json with its shards,
// pytorch_model.bin, pytorch_model.bin.index.json with its shards.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "hub/cache.h"
#include "hub/session.h"

namespace vit::hub {

// Downloads what is missing and returns snapshots/<commit>. The revision is resolved once (with
// config.json); every other file then comes from that same commit, even if the branch moves meanwhile.
std::filesystem::path DownloadSnapshot(HubSession& session, const std::string& revision);

// The cache alone: the revision through refs/ (or a commit hash as it is), and every needed file
// present in its snapshot. Throws vit::Error(kNotFound) naming what is missing; `why_cache_only`
// ("offline mode", ...) starts that message.
std::filesystem::path FindCachedSnapshot(const RepoCache& cache, const std::string& revision,
                                         const std::string& why_cache_only);

// The shard files that a *.index.json names in its weight_map, each once, in order of appearance.
std::vector<std::string> ShardFilesOfIndex(const std::filesystem::path& index_json);

}  // namespace vit::hub
