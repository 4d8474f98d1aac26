// One repository file into the cache, as huggingface_hub's hf_hub_download does it: a commit's file
// already in its snapshot is used without asking the network; otherwise the hub's metadata names the
// commit and the blob, the ref is remembered, the blob is fetched if new and the snapshot pointer made.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "hub/session.h"

namespace vit::hub {

struct CachedFile {
  std::filesystem::path pointer;  // snapshots/<commit>/<filename>
  std::string commit;
};

// nullopt when the revision has no such file (remembered in .no_exist/ when the hub names the commit).
std::optional<CachedFile> DownloadFile(HubSession& session, const std::string& revision, const std::string& filename);

}  // namespace vit::hub
