// Hub model ids as users write them: "org/name", "org/name@revision". The rules follow huggingface_hub's
// validate_repo_id, so an id we accept is one the hub could hold, and it is safe as a cache folder name.
#pragma once

#include <string>
#include <string_view>

namespace vit::hub {

struct HubModelId {
  std::string repo_id;   // "org/name"
  std::string revision;  // branch, tag or commit; "main" when none was given
};

// `text` is "org/name" or "org/name@revision"; `revision_option` is --revision (empty when not given).
// Both may be given only when they agree. Throws vit::Error(kInvalidArgument) naming what is wrong.
HubModelId ParseHubModelId(const std::string& text, const std::string& revision_option = "");

bool IsValidRepoId(std::string_view repo_id);
// A full commit hash as the hub writes it: 40 lowercase hex digits.
bool IsCommitHash(std::string_view revision);
// Branch and tag names may hold '/' ("refs/pr/1") but never a way out of the refs/ folder.
bool IsValidRevision(std::string_view revision);

// "models--org--name", the repository's folder in the cache (huggingface_hub's repo_folder_name).
std::string RepoFolderName(const std::string& repo_id);

}  // namespace vit::hub
