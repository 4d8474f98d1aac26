// A folder's files replaced as one set: a reader finds the old set whole or the new one whole, never a
// mix, never a partial file; a writer killed at any point (SIGKILL) leaves the old set in force, or a
// commit that the folder's next writer completes before anything else.
//
// Files are staged (written by the caller at Stage()'s path, streamed as large as they come, or handed
// over whole to Write()) and fsynced; Commit() puts them in force in one of two ways:
//   swap     (the default) the staging folder, beside the target, also receives hard links to the
//            target's other files (a user's notes stay) and is exchanged with the target in one
//            renameat2(RENAME_EXCHANGE): every reader at every instant sees one set, with no recovery.
//   journal  the staging folder, with a journal of the set's files (in the order staged) and of those it
//            removes, is renamed to DIR/.vit-commit (the commit point); the files are then renamed into
//            DIR one by one, the removals done, the last file (the manifest, when there is one) renamed
//            last. Readers that trust only what the manifest lists see one set; a writer killed after the
//            commit point leaves .vit-commit, which the next writer completes.
// The journal is what `in_place` asks for (the folder itself stays: its owner and mode, a mount point,
// a shell inside it, a parent we may not write), and what a swap falls back to where it cannot work: a
// target that holds folders (an output written into a data folder), or a file system without
// RENAME_EXCHANGE.
//
// A lock (DIR/.vit-lock, flock) keeps two writers from one folder; the next writer removes the staging
// folders that killed ones left (SIGKILL runs no destructor). An error (a full disk) names the file and
// errno's reason, and leaves no staging folder and the old set in force.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace vit::io {

struct FileSetOptions {
  // The manifest's file name in the folder, "" for none. Put in force last, it holds Commit()'s fields and
  // "generation" (one more than the earlier manifest's), "files" (the set, the manifest aside) and
  // "removed" (files of the earlier set that the new one lacks, which go).
  std::string manifest;
  // Files an earlier writer may have left before it wrote manifests: they go when the new set lacks them,
  // if `earlier_marker` is in the folder (so that a folder that never held the set keeps every file).
  std::vector<std::string> earlier_names;
  std::string earlier_marker;
  // Commit by the journal rather than by swapping the folder (see above).
  bool in_place = false;
};

class FileSet {
 public:
  // Takes the folder `dir` (created when it does not exist) for a new set: locks it, completes or removes
  // what a killed writer left. Throws vit::Error (kIo) when another writer holds it.
  explicit FileSet(const std::filesystem::path& dir, FileSetOptions options = {});
  ~FileSet();  // abandons the set unless Commit() ran: the old set stays, no staging file is left
  FileSet(const FileSet&) = delete;
  FileSet& operator=(const FileSet&) = delete;

  // Where to write `name` (a plain file name) of the new set. A staged file the caller removes again (a
  // part folded into another file) is not part of the set.
  std::filesystem::path Stage(const std::string& name);
  // One file of the set, written whole and durable on disk when this returns.
  void Write(const std::string& name, std::string_view bytes);
  // Puts the set in force, with a manifest of `fields` (see FileSetOptions::manifest) when there is one.
  // Throws vit::Error (kIo) naming the file or folder and errno's reason.
  void Commit(nlohmann::json fields = nlohmann::json::object());

  const std::filesystem::path& dir() const { return dir_; }
  // The generation of the set in force in `dir` by its manifest (0: none).
  static long long Generation(const std::filesystem::path& dir, const std::string& manifest);

 private:
  void Release();  // what the destructor does
  void CommitByJournal(const std::vector<std::string>& files, const std::vector<std::string>& removed);
  bool CommitBySwap(const std::vector<std::string>& set, const std::vector<std::string>& removed);

  std::filesystem::path dir_, staging_;
  FileSetOptions options_;
  std::vector<std::string> staged_;  // in the order first staged
  std::vector<std::string> synced_;  // written by Write(), already durable
  int lock_fd_ = -1;
  bool created_ = false;  // the folder did not exist before
  bool committed_ = false;
};

// Completes a commit that a killed writer left in `dir` (.vit-commit) and removes the staging folders
// inside it. The caller holds the folder's lock; `manifest` reads a commit of a writer before journals.
void RecoverFileSet(const std::filesystem::path& dir, const std::string& manifest);

}  // namespace vit::io
