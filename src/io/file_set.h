// A folder's files replaced as one set: a reader, or a run after a crash at any point, finds either
// the old set whole or the new one whole, never a mix and never nothing.
//
// The new files are written into a staging folder beside the target (each written, fsynced and
// closed, every failure naming the file and errno's reason), other files already in the target are
// hard-linked in, and the staging folder is then exchanged with the target in one renameat2
// (RENAME_EXCHANGE), or renamed into place when there is no target yet. The old set, now in the
// staging folder, is removed; so is the staging folder whenever the set is abandoned, so that an
// error (a full disk) leaves no temporary file behind. A target that also holds folders (an output
// written into a data folder) cannot be swapped whole; its files are then renamed into place one by
// one, in the order written, each atomic but not the set.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace vit::io {

class FileSet {
 public:
  // Stages a new set for the folder `dir` (created when it does not exist).
  explicit FileSet(const std::filesystem::path& dir);
  ~FileSet();  // abandons the set unless Commit() ran
  FileSet(const FileSet&) = delete;
  FileSet& operator=(const FileSet&) = delete;

  // One file of the set, durable on disk when this returns.
  void Write(const std::string& name, std::string_view bytes);
  // Puts the set in force. Throws vit::Error (kIo) naming the folder and errno's reason.
  void Commit();

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_, staging_;
  void ReplaceFileByFile();

  std::set<std::string> written_;
  std::vector<std::string> order_;
};

}  // namespace vit::io
