#include "hub/snapshot.h"

#include <algorithm>
#include <system_error>

#include "hub/file_download.h"
#include "io/json.h"
#include "vit/error.h"

namespace vit::hub {
namespace {

namespace fs = std::filesystem;

constexpr const char* kConfig = "config.json";
constexpr const char* kPreprocessorConfig = "preprocessor_config.json";
constexpr const char* kWeightFiles[] = {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                                        "pytorch_model.bin.index.json"};
constexpr size_t kMaxShards = 10000;

bool IsIndex(const std::string& filename) { return filename.size() > 11 && filename.ends_with(".index.json"); }

bool Exists(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

std::string WeightFileList() {
  std::string list;
  for (const char* name : kWeightFiles) list += (list.empty() ? "" : ", ") + std::string(name);
  return list;
}

}  // namespace

std::vector<std::string> ShardFilesOfIndex(const fs::path& index_json) {
  const io::Json index = io::ReadJsonFile(index_json);
  const std::string where = index_json.string();
  if (!index.is_object()) throw Error(where + ": expected a JSON object with a \"weight_map\"");
  const auto weight_map = index.find("weight_map");
  if (weight_map == index.end() || !weight_map->is_object())
    throw Error(where + ": \"weight_map\" is missing or not an object of tensor name -> shard file");
  std::vector<std::string> shards;
  for (const auto& [tensor, shard] : weight_map->items()) {
    if (!shard.is_string())
      throw Error(where + ": weight_map[\"" + tensor + "\"] is " + io::JsonTypeName(shard) + ", expected a file name");
    const std::string name = shard.get<std::string>();
    // Shards sit beside the index; a name with '/' or ".." could reach outside the snapshot.
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      throw Error(where + ": weight_map[\"" + tensor + "\"] names shard \"" + name +
                  "\", expected a plain file name beside the index");
    }
    CheckRepoFilename(name);
    if (std::find(shards.begin(), shards.end(), name) == shards.end()) shards.push_back(name);
    if (shards.size() > kMaxShards) throw Error(where + ": more than " + std::to_string(kMaxShards) + " shards");
  }
  if (shards.empty()) throw Error(where + ": weight_map is empty");
  return shards;
}

fs::path DownloadSnapshot(HubSession& session, const std::string& revision) {
  const std::string& repo = session.cache.repo_id();
  const std::optional<CachedFile> config = DownloadFile(session, revision, kConfig);
  if (!config) {
    throw Error(repo + " has no " + kConfig + " at revision '" + revision + "': it is not a transformers model",
                ErrorKind::kNotFound);
  }
  const std::string& commit = config->commit;
  DownloadFile(session, commit, kPreprocessorConfig);  // optional: defaults apply without it

  for (const char* weights : kWeightFiles) {
    const std::optional<CachedFile> file = DownloadFile(session, commit, weights);
    if (!file) continue;
    if (IsIndex(weights)) {
      for (const std::string& shard : ShardFilesOfIndex(file->pointer)) {
        if (!DownloadFile(session, commit, shard)) {
          throw Error(std::string(weights) + " of " + repo + "@" + commit + " names shard " + shard +
                          ", which the repository does not have",
                      ErrorKind::kNotFound);
        }
      }
    }
    return session.cache.SnapshotDir(commit);
  }
  throw Error(repo + " has none of " + WeightFileList() + " at revision '" + revision + "' (commit " + commit + ")",
              ErrorKind::kNotFound);
}

fs::path FindCachedSnapshot(const RepoCache& cache, const std::string& revision, const std::string& why_cache_only) {
  const std::string id = cache.repo_id() + "@" + revision;
  const std::string advice = "; run `vit download " + id + "` with network access first";
  const std::optional<std::string> commit = cache.CommitFor(revision);
  const fs::path cache_dir = cache.storage().parent_path();
  if (!commit) {
    throw Error(why_cache_only + ": " + id + " is not in the Hugging Face cache " + cache_dir.string() +
                    " (no " + (cache.storage() / "refs" / revision).string() + ")" + advice,
                ErrorKind::kNotFound);
  }
  const fs::path snapshot = cache.SnapshotDir(*commit);
  const auto missing = [&](const std::string& what) {
    return Error(why_cache_only + ": " + id + " (commit " + *commit + ") is incomplete in the cache: " + what +
                     " is missing in " + snapshot.string() + advice,
                 ErrorKind::kNotFound);
  };
  if (!Exists(snapshot / kConfig)) throw missing(kConfig);
  for (const char* weights : kWeightFiles) {
    if (!Exists(snapshot / weights)) continue;
    if (IsIndex(weights)) {
      for (const std::string& shard : ShardFilesOfIndex(snapshot / weights))
        if (!Exists(snapshot / shard)) throw missing("shard " + shard + " of " + weights);
    }
    return snapshot;
  }
  throw missing("the weights (" + WeightFileList() + ")");
}

}  // namespace vit::hub
