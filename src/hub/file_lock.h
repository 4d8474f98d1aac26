// An exclusive flock() on a lock file, held for the object's lifetime. huggingface_hub's FileLock is
// flock() too, so a vit process and a Python process writing the same blob wait for each other.
#pragma once

#include <filesystem>
#include <functional>

namespace vit::hub {

class FileLock {
 public:
  // Blocks until the lock is ours; `on_wait` runs once if another process holds it first.
  explicit FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait = {});
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace vit::hub
