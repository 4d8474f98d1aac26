// An append-only on-disk cache of feature vectors, one file per (model, feature kind), keyed by an
// image's absolute path and its content. A record keeps the file's stat (size, mtime, inode, ctime)
// and a hash of its bytes: a lookup whose stat matches in full is a hit without reading the file
// (ctime cannot be set back, so content written since shows), and one whose stat differs only in
// what copying or touching changes is a hit only when the bytes hash the same. An image replaced by
// other bytes of the same size with its mtime restored is therefore a miss, never another image's
// vector. Each record is written with one write() and carries a CRC, so an interrupted run leaves at
// worst a torn last record, which the next run drops.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

namespace vit::adapt {

struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
// Throws vit::Error(kNotFound / kIo) when the file cannot be stat'ed.
FileStamp StampOf(const std::filesystem::path& file);

class FeatureCache {
 public:
  // Opens dir/<hash of model_key>.vitfeat, creating it (and dir). A file written for another key or
  // width, or with a damaged header, is started afresh: it is a cache, never the only copy.
  FeatureCache(const std::filesystem::path& dir, const std::string& model_key, int64_t dim);
  ~FeatureCache();
  FeatureCache(const FeatureCache&) = delete;
  FeatureCache& operator=(const FeatureCache&) = delete;

  // The cached vector (dim floats) or nullptr when absent or stale.
  const float* Find(const std::string& path, const FileStamp& stamp) const;
  void Append(const std::string& path, const FileStamp& stamp, const float* vector);

  size_t size() const { return entries_.size(); }
  int64_t dim() const { return dim_; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }  // a torn or damaged tail that was cut off
  const std::filesystem::path& file() const { return file_; }

 private:
  struct Entry {
    FileStamp stamp;
    uint64_t content = 0;  // ContentHash of the file when its vector was stored; 0: unknown
    size_t offset = 0;     // into vectors_
  };
  void Load();
  void Remember(const std::string& path, const FileStamp& stamp, uint64_t content, const float* vector);

  std::filesystem::path file_;
  std::string model_key_;
  int64_t dim_;
  int fd_ = -1;
  uint64_t dropped_bytes_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::vector<float> vectors_;
};

}  // namespace vit::adapt
