// A folder's outputs replaced as one set: a reader (and a later run) finds the earlier set or the new one,
// never a mix, never a partial file.
//
//   1. Every file is written under DIR/.vit-staging-<pid>/ and fsynced.
//   2. The manifest (DIR/<manifest>: the files of the set, its generation) is written there too; the
//      staging folder is renamed to DIR/.vit-commit: the commit point.
//   3. Each file is renamed from .vit-commit into DIR, the files of the earlier set that the new one lacks
//      are removed, and the manifest is renamed last; .vit-commit goes.
// A run killed in 1-2 leaves a staging folder that the next run removes (the earlier set stays in force);
// one killed in 3 leaves .vit-commit, which the next run completes before anything else. A lock
// (DIR/.vit-lock, flock) keeps two runs from writing one folder at once. On failure (a full disk) the
// staging folder is removed and the error names the file and the reason.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vit::tool {

class OutputSet {
 public:
  // `manifest`: the manifest's file name in `dir`. `earlier_names`: files an earlier run may have written
  // before manifests existed; removed when absent from the new set, if `earlier_marker` exists in `dir`
  // (so that a folder that never held our outputs keeps every file).
  OutputSet(std::filesystem::path dir, std::string manifest, std::vector<std::string> earlier_names,
            std::string earlier_marker);
  ~OutputSet();  // without Commit: the staging folder is removed, the earlier set stays
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // Where to write `name` (a plain file name) of the new set.
  std::filesystem::path Stage(const std::string& name);
  // Makes the staged files the set in force, with a manifest of `fields` plus "generation", "files" (the
  // set) and "removed" (files of the earlier set it replaced).
  void Commit(nlohmann::json fields);
  // The generation of the set in force in `dir` (0: none).
  static long long Generation(const std::filesystem::path& dir, const std::string& manifest);

 private:
  std::filesystem::path dir_;
  std::string manifest_;
  std::vector<std::string> earlier_names_;
  std::string earlier_marker_;
  std::filesystem::path staging_;
  std::vector<std::string> staged_;
  int lock_fd_ = -1;
  bool committed_ = false;
};

// Completes a commit a killed run left in `dir` (step 3 above), removes abandoned staging folders.
// The caller holds the lock.
void RecoverOutputSet(const std::filesystem::path& dir, const std::string& manifest);

}  // namespace vit::tool
